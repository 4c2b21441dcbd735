package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.peer.PeerClient;

/** Another node, reached with one pooled round trip per operation. */
record RemoteReplica(NodeId id, Endpoint endpoint, PeerClient peers) implements Replica {
  @Override
  public CompletableFuture<Optional<Value>> get(Key key) {
    return peers.get(endpoint, key);
  }

  @Override
  public CompletableFuture<Void> put(Key key, Value value) {
    return peers.put(endpoint, key, value);
  }

  @Override
  public CompletableFuture<Void> delete(Key key) {
    return peers.delete(endpoint, key);
  }
}
