package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.KvException;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.Versioned;

/**
 * This node itself: one storage call, completed before it returns. A write passes the same
 * {@link ClockBound} as a peer's (a read repair may bring another replica's record here).
 */
record LocalReplica(NodeId id, StorageEngine storage, ClockBound clockBound) implements Replica {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  @Override
  public CompletableFuture<Optional<Versioned>> read(Key key) {
    return CompletableFuture.completedFuture(storage.get(key));
  }

  @Override
  public CompletableFuture<Void> write(Key key, Versioned record) {
    try {
      clockBound.admit(record.version(), ClockBound.Via.LOCAL, "this node's coordinator");
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    storage.apply(key, record);
    return DONE;
  }
}
