package kv.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The shared secret that seed registration and node-to-node traffic carry in {@link #HEADER}. An
 * open token (no secret) admits anyone: only {@code ALLOW_OPEN_CLUSTER=true} gives one outside
 * tests, with a warning at every start ({@link ClusterTokenConfig}).
 */
public final class ClusterToken {
  public static final String HEADER = "X-Kv-Cluster-Token";

  private final Optional<byte[]> secret;

  private ClusterToken(Optional<byte[]> secret) {
    this.secret = secret;
  }

  public static ClusterToken of(Optional<String> secret) {
    return new ClusterToken(secret.map(s -> s.getBytes(StandardCharsets.UTF_8)));
  }

  public static ClusterToken open() {
    return new ClusterToken(Optional.empty());
  }

  public boolean isOpen() {
    return secret.isEmpty();
  }

  /** The header value to send, if any. */
  public Optional<String> headerValue() {
    return secret.map(s -> new String(s, StandardCharsets.UTF_8));
  }

  /** Whether a presented header value grants access; compares in constant time. */
  public boolean admits(String presented) {
    if (secret.isEmpty()) {
      return true;
    }
    byte[] given = presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(secret.get(), given);
  }
}
