package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.storage.StorageEngine;

/** This node itself: one storage call, completed before it returns. */
record LocalReplica(NodeId id, StorageEngine storage) implements Replica {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Optional<Value>> get(Key key) {
    return CompletableFuture.completedFuture(storage.get(key));
  }

  @Override
  public CompletableFuture<Void> put(Key key, Value value) {
    storage.put(key, value);
    return DONE;
  }

  @Override
  public CompletableFuture<Void> delete(Key key) {
    storage.delete(key);
    return DONE;
  }
}
