package kv.common;

import java.util.Arrays;

/** An immutable value: raw bytes, copied on the way in and out, compared by content. */
public final class Value {
  private final byte[] bytes;

  private Value(byte[] bytes) {
    this.bytes = bytes;
  }

  public static Value copyOf(byte[] bytes) {
    return new Value(bytes.clone());
  }

  public static Value of(String utf8) {
    return new Value(utf8.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  public int size() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Value other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Value(" + bytes.length + " bytes)";
  }
}
