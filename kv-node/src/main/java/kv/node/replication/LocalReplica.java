package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.storage.StorageEngine;
import kv.node.version.Versioned;

/** This node itself: one storage call, completed before it returns. */
record LocalReplica(NodeId id, StorageEngine storage) implements Replica {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Optional<Versioned>> read(Key key) {
    return CompletableFuture.completedFuture(storage.get(key));
  }

  @Override
  public CompletableFuture<Void> write(Key key, Versioned record) {
    storage.apply(key, record);
    return DONE;
  }
}
