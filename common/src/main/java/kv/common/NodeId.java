package kv.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/** A storage node's stable identity: 1-64 characters of letters, digits, '.', '_' or '-'. */
public record NodeId(String value) implements Comparable<NodeId> {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  @JsonCreator
  public NodeId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "node id must be 1-64 characters of [A-Za-z0-9._-]: " + value);
    }
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
