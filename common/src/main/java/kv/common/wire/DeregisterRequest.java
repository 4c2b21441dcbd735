package kv.common.wire;

import kv.common.NodeCredential;
import kv.common.NodeId;

/**
 * A node leaving the cluster on purpose (graceful shutdown), with the credential its registration
 * gave it: the seed drops it at once.
 */
public record DeregisterRequest(NodeId nodeId, NodeCredential credential) {
  public DeregisterRequest {
    if (nodeId == null) {
      throw new IllegalArgumentException("nodeId is required");
    }
  }
}
