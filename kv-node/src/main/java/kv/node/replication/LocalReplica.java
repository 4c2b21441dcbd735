package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.KvException;
import kv.node.replica.ReplicaService;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * This node itself: one call into its {@link ReplicaService}, completed before it returns, so a
 * local write passes the same checks as a peer's (a read repair may bring another replica's record
 * here).
 */
record LocalReplica(NodeId id, ReplicaService replica) implements Replica {
  @Override
  public CompletableFuture<Optional<Versioned>> read(Key key) {
    try {
      return CompletableFuture.completedFuture(replica.read(key));
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Optional<Version>> write(Key key, Versioned record) {
    try {
      return CompletableFuture.completedFuture(replica.writeLocal(key, record));
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
