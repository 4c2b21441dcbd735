package kv.node.peer;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.Value;

/**
 * Replica operations on another node, which serves them from its own storage and never forwards
 * them again. Futures fail with a {@link kv.common.error.KvException}: {@code UNAVAILABLE} when the
 * peer cannot be reached in time, or the code the peer answered with.
 */
public interface PeerClient extends AutoCloseable {
  CompletableFuture<Optional<Value>> get(Endpoint peer, Key key);

  CompletableFuture<Void> put(Endpoint peer, Key key, Value value);

  CompletableFuture<Void> delete(Endpoint peer, Key key);

  @Override
  default void close() {}
}
