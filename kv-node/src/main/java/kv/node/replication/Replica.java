package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Version;
import kv.node.version.Versioned;

/** One member of a key's preference list, as the coordinator talks to it. */
interface Replica {
  NodeId id();

  CompletableFuture<Optional<Versioned>> read(Key key);

  /** Completes empty once the replica keeps the record, or with a newer version it holds. */
  CompletableFuture<Optional<Version>> write(Key key, Versioned record);
}
