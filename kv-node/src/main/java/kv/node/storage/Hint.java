package kv.node.storage;

import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;

/**
 * A write kept for a replica that could not take it when it was made (Dynamo's hinted handoff): the
 * replica it belongs to, the key, the record, when the hint was made, and the sequence number its
 * store gave it (which orders hints made in the same millisecond and names the hint).
 */
public record Hint(NodeId target, Key key, Versioned record, long createdAtMillis, long sequence) {
  public Hint {
    if (target == null || key == null || record == null) {
      throw new IllegalArgumentException("target, key and record are required");
    }
  }
}
