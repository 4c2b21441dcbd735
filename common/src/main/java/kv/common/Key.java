package kv.common;

import java.nio.charset.StandardCharsets;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/** A client key: 1 to {@value #MAX_BYTES} bytes of UTF-8, any characters at all. */
public final class Key {
  public static final int MAX_BYTES = 1024;

  private final String value;
  private final long token;

  private Key(String value, byte[] utf8) {
    this.value = value;
    this.token = Murmur3.hash64(utf8);
  }

  /** Validates client input: a missing, empty or oversized key is a {@code 400}. */
  public static Key of(String value) {
    if (value == null) {
      throw new KvException(ErrorCode.BAD_REQUEST, "missing query parameter 'key'");
    }
    if (value.isEmpty()) {
      throw new KvException(ErrorCode.BAD_REQUEST, "query parameter 'key' is empty");
    }
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_BYTES) {
      throw new KvException(ErrorCode.BAD_REQUEST,
          "key is " + utf8.length + " bytes of UTF-8; the limit is " + MAX_BYTES);
    }
    return new Key(value, utf8);
  }

  public String value() {
    return value;
  }

  /** The key's position on the ring: {@link Murmur3#hash64} of its UTF-8 bytes. */
  public long token() {
    return token;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Key other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}
