package kv.common;

import java.nio.charset.StandardCharsets;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * A client key: 1 to {@value #MAX_BYTES} bytes of UTF-8, any characters at all. Keys order by ring
 * position (token, as a signed 64-bit integer), then by their text, which is the order storage
 * engines iterate in.
 */
public final class Key implements Comparable<Key> {
  public static final int MAX_BYTES = 1024;

  private final String value;
  private final long token;
  private final int utf8Length;

  private Key(String value, byte[] utf8) {
    this.value = value;
    this.token = Murmur3.hash64(utf8);
    this.utf8Length = utf8.length;
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
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "key is " + utf8.length + " bytes of UTF-8; the limit is " + MAX_BYTES);
    }
    return new Key(value, utf8);
  }

  /**
   * The smallest possible key at {@code token}: a bound for range scans, never stored (its text is
   * empty, which {@link #of} rejects).
   */
  public static Key firstAt(long token) {
    return new Key("", token);
  }

  private Key(String value, long token) {
    this.value = value;
    this.token = token;
    this.utf8Length = 0;
  }

  /** Rebuilds a key read back from storage, where it was validated on the way in. */
  public static Key fromStorage(byte[] utf8) {
    return new Key(new String(utf8, StandardCharsets.UTF_8), utf8);
  }

  /** The length of {@link #utf8()}, known without encoding the key again. */
  public int utf8Length() {
    return utf8Length;
  }

  public byte[] utf8() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public int compareTo(Key other) {
    int byToken = Long.compare(token, other.token);
    return byToken != 0 ? byToken : value.compareTo(other.value);
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
