package kv.node.replication;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import kv.common.Endpoint;
import kv.common.Futures;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.handoff.HintWriter;
import kv.node.protocol.PeerClient;
import kv.node.ring.ClusterView;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One write's calls to its preference list, with a sloppy quorum. When a remote replica cannot take
 * the write (unreachable, timed out or failing; not when it rejects the request, nor when it
 * refuses the record as from the future: then the record is the problem, not the replica), the next
 * node on the ring beyond the preference list that has not stood in yet is sent the write as a hint
 * for that replica, and its acknowledgement counts toward W (Dynamo, Riak). When there is no such
 * node (no more members than replicas) or it fails too, this coordinator keeps the hint itself,
 * which does not count toward W (Cassandra). Either way the hint is written even if the client has
 * been answered already. Made once per write in place of a lambda, so a write whose replicas all
 * answer costs no more than before.
 *
 * <p>A replica that refuses the write because this coordinator placed it with an older member list
 * than the replica's ({@code STALE_VIEW}) gets no hint: nothing is wrong with it, the placement is.
 * {@link #staleView()} tells the coordinator, which places the write again.
 */
final class HintedWrite
    implements Function<Replica, CompletableFuture<Void>>, Quorum.Fallback<Void> {
  private static final Logger log = LoggerFactory.getLogger(HintedWrite.class);

  private final Key key;
  private final Versioned record;
  private final ClusterView view;
  private final int preferred;
  private final PeerClient peers;
  private final HintWriter hints;
  private final ReplicationMetrics metrics;
  private final CompletableFuture<Void> staleView = new CompletableFuture<>();
  private final AtomicReference<Version> superseding = new AtomicReference<>();
  private List<NodeId> spares; // guarded by this; the ring walk past the preference list
  private int nextSpare; // guarded by this

  HintedWrite(
      Key key,
      Versioned record,
      ClusterView view,
      List<Replica> replicas,
      PeerClient peers,
      HintWriter hints,
      ReplicationMetrics metrics) {
    this.key = key;
    this.record = record;
    this.view = view;
    this.preferred = replicas.size();
    this.peers = peers;
    this.hints = hints;
    this.metrics = metrics;
  }

  /** The write to one replica of the preference list. */
  @Override
  public CompletableFuture<Void> apply(Replica replica) {
    return metrics.track(
        true,
        replica,
        replica
            .write(key, record)
            .thenApply(
                held -> {
                  held.ifPresent(this::superseded);
                  return null;
                }));
  }

  /**
   * The newest version of the key that a replica held instead of this write, among the replies so
   * far (read it when the quorum is met: then it covers the replies that made it).
   */
  Optional<Version> superseding() {
    return Optional.ofNullable(superseding.get());
  }

  private void superseded(Version held) {
    superseding.accumulateAndGet(held, (a, b) -> a == null || b.isNewerThan(a) ? b : a);
  }

  /**
   * Completes when a replica refuses the write as placed with an older member list than its own.
   */
  CompletableFuture<Void> staleView() {
    return staleView;
  }

  @Override
  public Optional<Quorum.StandIn<Void>> standIn(Replica failed, Throwable cause) {
    if (cause instanceof KvException kv && kv.code() == ErrorCode.STALE_VIEW) {
      staleView.complete(null);
      return Optional.empty();
    }
    if (failed instanceof LocalReplica || !isWorthAHint(cause)) {
      return Optional.empty();
    }
    Optional<NodeId> spare = nextSpare();
    if (spare.isEmpty()) {
      keepLocally(failed.id(), cause);
      return Optional.empty();
    }
    Endpoint at = view.endpoint(spare.get()).orElseThrow();
    log.debug("{} missed {}; {} stands in with a hint", failed.id(), key, spare.get());
    CompletableFuture<Void> call =
        peers
            .writeHint(at, failed.id(), key, record)
            .whenComplete(
                (ok, error) -> {
                  if (error != null && isWorthAHint(Futures.unwrap(error))) {
                    keepLocally(failed.id(), error);
                  }
                });
    return Optional.of(
        new Quorum.StandIn<>(new RemoteReplica(spare.get(), at, peers, view.version()), call));
  }

  private synchronized Optional<NodeId> nextSpare() {
    if (spares == null) {
      List<NodeId> walk = view.ring().preferenceList(key.token(), view.ring().nodeCount());
      spares = walk.subList(Math.min(preferred, walk.size()), walk.size());
    }
    return nextSpare < spares.size() ? Optional.of(spares.get(nextSpare++)) : Optional.empty();
  }

  private void keepLocally(NodeId target, Throwable why) {
    try {
      hints.store(target, key, record);
      log.debug(
          "No stand-in took the write of {} for {} ({}); kept the hint here",
          key,
          target,
          why.getMessage());
    } catch (RuntimeException e) {
      log.error("Storing a hint for {} ({}) failed; anti-entropy must repair it", target, key, e);
    }
  }

  /**
   * Whether the replica may take the write later: not when it rejected the request itself, nor when
   * it refused the record's timestamp as too far ahead of its clock (a hint would be refused the
   * same way, or spread a record from the future once the clocks have moved on).
   */
  private static boolean isWorthAHint(Throwable cause) {
    return !(cause instanceof KvException kv)
        || (kv.code().httpStatus() >= 500 && kv.code() != ErrorCode.CLOCK_SKEW);
  }
}
