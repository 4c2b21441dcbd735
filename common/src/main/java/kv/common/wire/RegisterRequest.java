package kv.common.wire;

import kv.common.Endpoint;
import kv.common.NodeCredential;
import kv.common.NodeId;

/**
 * A node announcing itself. {@code nodeId} is the id it had before (absent on its first start: the
 * seed assigns one). {@code address} is where peers reach it; when absent, the seed uses the
 * request's source address with {@code port}. {@code credential} proves the id is this node's:
 * required while the id is registered live, adopted by the seed when it is not (first start, after
 * expiry or a seed restart), and issued by the seed when absent.
 */
public record RegisterRequest(
    NodeId nodeId, Endpoint address, Integer port, NodeCredential credential) {
  public RegisterRequest {
    if (address == null && (port == null || port < 1 || port > 65_535)) {
      throw new IllegalArgumentException("give an address (host:port) or a port (1-65535)");
    }
  }
}
