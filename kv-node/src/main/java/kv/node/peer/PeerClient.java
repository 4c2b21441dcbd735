package kv.node.peer;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;

/**
 * Replica operations on another node, which serves them from its own storage and never forwards
 * them again. Futures fail with a {@link kv.common.error.KvException}: {@code UNAVAILABLE} when the
 * peer cannot be reached in time, or the code the peer answered with.
 */
public interface PeerClient extends AutoCloseable {
  /** The peer's record for the key (a tombstone included), or empty when it has none. */
  CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key);

  /** Offers a record; the peer keeps it if it is newer than what it has. */
  CompletableFuture<Void> write(Endpoint peer, Key key, Versioned record);

  /**
   * Asks the peer to keep a record as a hint for {@code owner}, a replica that could not take it
   * (sloppy quorum): the peer stores it apart from its own records and hands it off later.
   */
  CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record);

  @Override
  default void close() {}
}
