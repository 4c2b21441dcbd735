package kv.common;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the cluster secret that the seed and every node must share: {@code CLUSTER_TOKEN}, or the
 * contents of the file {@code CLUSTER_TOKEN_FILE} names (Docker, Swarm and Kubernetes secrets),
 * surrounding whitespace such as a trailing newline removed. Without either a service refuses to
 * start, unless {@code ALLOW_OPEN_CLUSTER=true} asks for an open development cluster. Every mistake
 * is an {@link IllegalArgumentException} naming the setting, so the service stops at start instead
 * of running open or with a secret nobody meant.
 */
public final class ClusterTokenConfig {
  public static final String TOKEN = "CLUSTER_TOKEN";
  public static final String TOKEN_FILE = "CLUSTER_TOKEN_FILE";
  public static final String ALLOW_OPEN = "ALLOW_OPEN_CLUSTER";
  static final int MAX_LENGTH = 1024;
  private static final Logger log = LoggerFactory.getLogger(ClusterTokenConfig.class);

  private ClusterTokenConfig() {}

  public static ClusterToken read(Settings settings) {
    Optional<String> inline = settings.raw(TOKEN);
    Optional<String> file = settings.raw(TOKEN_FILE);
    boolean allowOpen = settings.bool(ALLOW_OPEN, false);
    if (inline.isPresent() && file.isPresent()) {
      throw new IllegalArgumentException("set " + TOKEN + " or " + TOKEN_FILE + ", not both");
    }
    Optional<String> secret =
        inline
            .map(value -> validated(value, TOKEN))
            .or(() -> file.map(path -> validated(readFile(path), TOKEN_FILE + " " + path.strip())));
    if (secret.isPresent()) {
      if (allowOpen) {
        log.warn("{}=true is ignored: a cluster token is set", ALLOW_OPEN);
      }
      return ClusterToken.of(secret);
    }
    if (!allowOpen) {
      throw new IllegalArgumentException(
          "no cluster secret: set "
              + TOKEN
              + " or "
              + TOKEN_FILE
              + " (the seed and every node of a cluster share it; generate one with"
              + " 'openssl rand -hex 32'), or "
              + ALLOW_OPEN
              + "=true for an unauthenticated"
              + " development cluster");
    }
    return ClusterToken.open();
  }

  /** Surrounding whitespace (a file's trailing newline) is not part of the secret. */
  private static String validated(String value, String source) {
    String secret = value.strip();
    if (secret.isEmpty()) {
      throw new IllegalArgumentException(source + " is blank; a cluster token must have content");
    }
    if (secret.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          source + " is " + secret.length() + " characters; at most " + MAX_LENGTH);
    }
    for (int i = 0; i < secret.length(); i++) {
      char c = secret.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException(
            source
                + " holds a character that is not printable"
                + " ASCII at offset "
                + i
                + " (the token travels in an HTTP header)");
      }
    }
    return secret;
  }

  private static String readFile(String name) {
    if (name.isBlank()) {
      throw new IllegalArgumentException(TOKEN_FILE + " is blank; name the file holding the token");
    }
    Path path;
    try {
      path = Path.of(name.strip());
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(TOKEN_FILE + " is not a path: " + e.getMessage(), e);
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes(MAX_LENGTH * 4 + 1); // a device or a huge file is refused
      if (bytes.length > MAX_LENGTH * 4) {
        throw new IllegalArgumentException(
            TOKEN_FILE
                + " "
                + path
                + " is larger than "
                + MAX_LENGTH * 4
                + " bytes; it should hold the token alone");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          TOKEN_FILE
              + ": cannot read "
              + path
              + " ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + ")",
          e);
    }
  }
}
