package kv.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A storage node's stable identity: 1-64 characters of letters, digits, '.', '_' or '-'. */
public record NodeId(String value) implements Comparable<NodeId> {
  private static final int MAX_LENGTH = 64;

  @JsonCreator
  public NodeId {
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          "node id must be 1-64 characters of [A-Za-z0-9._-]: " + value);
    }
  }

  /** A loop, not a regex: every record read from a peer carries an id (JFR: 15 % of allocation). */
  private static boolean isValid(String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  public static NodeId of(String value) {
    return new NodeId(value);
  }

  @JsonValue
  @Override
  public String value() {
    return value;
  }

  @Override
  public int compareTo(NodeId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
