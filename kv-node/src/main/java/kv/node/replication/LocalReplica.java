package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.KvException;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * This node itself: one storage call, completed before it returns. A write passes the same {@link
 * ClockBound} as a peer's (a read repair may bring another replica's record here).
 */
record LocalReplica(NodeId id, StorageEngine storage, ClockBound clockBound) implements Replica {
  private static final CompletableFuture<Optional<Version>> KEPT =
      CompletableFuture.completedFuture(Optional.empty());

  @Override
  public CompletableFuture<Optional<Versioned>> read(Key key) {
    return CompletableFuture.completedFuture(storage.get(key));
  }

  @Override
  public CompletableFuture<Optional<Version>> write(Key key, Versioned record) {
    try {
      clockBound.admit(record.version(), ClockBound.Via.LOCAL, "this node's coordinator");
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (storage.apply(key, record)) {
      return KEPT;
    }
    return CompletableFuture.completedFuture(Superseding.held(storage, key, record));
  }
}
