package kv.common.wire;

import kv.common.NodeId;

/** A registered node saying it is alive. */
public record HeartbeatRequest(NodeId nodeId) {
  public HeartbeatRequest {
    if (nodeId == null) {
      throw new IllegalArgumentException("nodeId is required");
    }
  }
}
