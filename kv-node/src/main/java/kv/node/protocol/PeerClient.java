package kv.node.protocol;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Replica operations on another node, which serves them from its own storage and never forwards
 * them again. Futures fail with a {@link kv.common.error.KvException}: {@code UNAVAILABLE} when the
 * peer cannot be reached in time, or the code the peer answered with.
 */
public interface PeerClient extends AutoCloseable {
  /** The peer's record for the key (a tombstone included), or empty when it has none. */
  CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key);

  /**
   * Offers a record no ring placed (a repair, a hint delivered); kept if newer than the peer's.
   * Completes with the newer version the peer holds instead, if it does (see below).
   */
  default CompletableFuture<Optional<Version>> write(Endpoint peer, Key key, Versioned record) {
    return write(peer, key, record, ReplicaOp.Write.UNPLACED);
  }

  /**
   * Offers a record the coordinator placed on this peer with member list {@code placedOn}; the peer
   * keeps it if newer than what it has, and refuses it ({@code STALE_VIEW}) if its own list is
   * newer and names other replicas for the key. Completes empty when the peer keeps the record (or
   * had it), or with the newer version of the key the peer holds and keeps instead.
   */
  CompletableFuture<Optional<Version>> write(
      Endpoint peer, Key key, Versioned record, long placedOn);

  /**
   * Asks the peer to keep a record as a hint for {@code owner}, a replica that could not take it
   * (sloppy quorum): the peer stores it apart from its own records and hands it off later.
   */
  CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record);

  @Override
  default void close() {}
}
