package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;

/** One member of a key's preference list, as the coordinator talks to it. */
interface Replica {
  NodeId id();

  CompletableFuture<Optional<Value>> get(Key key);

  CompletableFuture<Void> put(Key key, Value value);

  CompletableFuture<Void> delete(Key key);
}
