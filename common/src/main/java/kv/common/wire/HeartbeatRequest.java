package kv.common.wire;

import kv.common.NodeCredential;
import kv.common.NodeId;

/** A registered node saying it is alive, with the credential its registration gave it. */
public record HeartbeatRequest(NodeId nodeId, NodeCredential credential) {
  public HeartbeatRequest {
    if (nodeId == null) {
      throw new IllegalArgumentException("nodeId is required");
    }
  }
}
