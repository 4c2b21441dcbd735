package kv.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret that proves a registration, heartbeat or deregistration comes from the node that holds
 * an id, not merely from someone with the cluster token: 16-128 characters of base64url. Never
 * printed: {@link #toString()} is redacted.
 */
public record NodeCredential(String value) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MIN_LENGTH = 16;
  private static final int MAX_LENGTH = 128;

  @JsonCreator
  public NodeCredential {
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          "a node credential is " + MIN_LENGTH + "-" + MAX_LENGTH + " characters of [A-Za-z0-9_-]");
    }
  }

  /** 256 random bits. */
  public static NodeCredential random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new NodeCredential(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  /** Whether {@code presented} is this credential; compares in constant time. */
  public boolean matches(NodeCredential presented) {
    return presented != null
        && MessageDigest.isEqual(
            value.getBytes(StandardCharsets.US_ASCII),
            presented.value.getBytes(StandardCharsets.US_ASCII));
  }

  @JsonValue
  @Override
  public String value() {
    return value;
  }

  @Override
  public String toString() {
    return "NodeCredential[redacted]";
  }

  private static boolean isValid(String value) {
    if (value == null || value.length() < MIN_LENGTH || value.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
