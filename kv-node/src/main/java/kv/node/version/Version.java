package kv.node.version;

import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * A write's version: a hybrid logical clock timestamp ({@link HybridClock}) with the coordinator's
 * node id as tie-break, so any two versions are ordered and all replicas pick the same winner.
 * Written {@code <timestamp>@<node-id>} on the wire and in the {@code X-Kv-Version} header.
 */
public record Version(long timestamp, NodeId coordinator) implements Comparable<Version> {
  public Version {
    if (timestamp < 0 || coordinator == null) {
      throw new IllegalArgumentException("bad version: " + timestamp + "@" + coordinator);
    }
  }

  public static Version parse(String text) {
    int at = text == null ? -1 : text.indexOf('@');
    try {
      if (at <= 0) {
        throw new IllegalArgumentException("no '@'");
      }
      return new Version(Long.parseLong(text.substring(0, at)), NodeId.of(text.substring(at + 1)));
    } catch (IllegalArgumentException e) { // NumberFormatException is one
      throw new KvException(
          ErrorCode.BAD_REQUEST, "version must be <timestamp>@<node-id>, got: " + text);
    }
  }

  public boolean isNewerThan(Version other) {
    return compareTo(other) > 0;
  }

  /** Wall-clock milliseconds when the version was made (the timestamp's physical part). */
  public long physicalMillis() {
    return HybridClock.physicalMillis(timestamp);
  }

  @Override
  public int compareTo(Version other) {
    int byTime = Long.compare(timestamp, other.timestamp);
    return byTime != 0 ? byTime : coordinator.compareTo(other.coordinator);
  }

  @Override
  public String toString() {
    return timestamp + "@" + coordinator;
  }
}
