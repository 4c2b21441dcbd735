package kv.node.replication;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.protocol.PeerClient;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.storage.TombstonePurger;
import kv.node.version.Versioned;

/**
 * Asks a key's other current replicas whether a tombstone may be forgotten: only when none of them
 * holds a live value older than it (a replica with nothing, the tombstone, or something newer is
 * fine: nothing there can come back). A replica with an older value is sent the tombstone, so a
 * later pass can forget it; an unreachable one keeps the tombstone for now. One replica read per
 * replica per expired tombstone, on the background thread, bounded by the peer timeout.
 */
public final class TombstoneCheck implements TombstonePurger.Replicas {
  private final ViewHolder views;
  private final NodeId self;
  private final PeerClient peers;
  private final int replicationFactor;
  private final Duration timeout;

  public TombstoneCheck(
      ViewHolder views, NodeId self, PeerClient peers, int replicationFactor, Duration timeout) {
    this.views = views;
    this.self = self;
    this.peers = peers;
    this.replicationFactor = replicationFactor;
    this.timeout = timeout;
  }

  @Override
  public boolean mayForget(Key key, Versioned tombstone) {
    ClusterView view = views.current();
    if (view.ring().isEmpty()) {
      return false;
    }
    List<NodeId> owners = view.ring().preferenceList(key.token(), replicationFactor);
    boolean forget = true;
    for (NodeId owner : owners) {
      Optional<Endpoint> at = view.endpoint(owner);
      if (owner.equals(self) || at.isEmpty()) {
        continue;
      }
      Optional<Optional<Versioned>> theirs = await(peers.read(at.get(), key));
      if (theirs.isEmpty()) {
        forget = false; // could not ask: keep it until it can be asked
      } else if (isOlderValue(theirs.get(), tombstone)) {
        await(peers.write(at.get(), key, tombstone)); // it missed the delete: send it now
        forget = false;
      }
    }
    return forget;
  }

  private static boolean isOlderValue(Optional<Versioned> record, Versioned tombstone) {
    return record.isPresent()
        && !record.get().isTombstone()
        && tombstone.version().isNewerThan(record.get().version());
  }

  /** The answer, or empty when the peer failed or did not answer in time. */
  private <T> Optional<T> await(CompletableFuture<T> call) {
    try {
      return Optional.ofNullable(call.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
