package kv.common.wire;

import kv.common.NodeId;

/** A node leaving the cluster on purpose (graceful shutdown): the seed drops it at once. */
public record DeregisterRequest(NodeId nodeId) {
  public DeregisterRequest {
    if (nodeId == null) {
      throw new IllegalArgumentException("nodeId is required");
    }
  }
}
