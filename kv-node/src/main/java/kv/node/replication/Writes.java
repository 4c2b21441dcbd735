package kv.node.replication;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.handoff.HintWriter;
import kv.node.protocol.PeerClient;
import kv.node.replication.Coordinator.WriteResult;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.version.ClockOffsets;
import kv.node.version.HybridClock;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's writes: versions a write with this node's hybrid clock and places it on the
 * key's replicas, with two corrections, each made at most once.
 *
 * <ul>
 *   <li><b>A newer member list.</b> A replica whose list is newer and names other replicas for the
 *       key refuses the write ({@code stale_view}); once this node has that list (the refusal told
 *       it to catch up), the same version is placed again on it: the client waits for that when the
 *       first placement missed W, and not when it met it.
 *   <li><b>A newer version.</b> A replica that already holds a newer version of the key than the
 *       write says so; the write is versioned again above it and placed again, so a client that
 *       writes, sees its {@code 204}, and writes again through a node whose clock is a little
 *       behind always reads its second value (monotonic writes). Concurrent writers still converge
 *       on one value: the last to be versioned wins everywhere.
 * </ul>
 *
 * A node whose clock is off by more than {@code MAX_CLOCK_OFFSET} ({@link ClockOffsets}) writes
 * nothing: its versions would lose to older writes or bury newer ones.
 */
final class Writes {
  private static final Logger log = LoggerFactory.getLogger(Writes.class);

  private final ViewHolder views;
  private final PreferenceLists lists;
  private final PeerClient peers;
  private final HintWriter hints;
  private final ReplicationMetrics metrics;
  private final HybridClock clock;
  private final ClockOffsets offsets;
  private final Consistency defaultW;
  private final Duration catchUpTimeout;

  Writes(
      ViewHolder views,
      PreferenceLists lists,
      PeerClient peers,
      HintWriter hints,
      ReplicationMetrics metrics,
      HybridClock clock,
      ClockOffsets offsets,
      Consistency defaultW,
      Duration catchUpTimeout) {
    this.views = views;
    this.lists = lists;
    this.peers = peers;
    this.hints = hints;
    this.metrics = metrics;
    this.clock = clock;
    this.offsets = offsets;
    this.defaultW = defaultW;
    this.catchUpTimeout = catchUpTimeout;
  }

  /** Writes {@code record}, made with the version it is given, as coordinator {@code me}. */
  CompletableFuture<WriteResult> write(
      ClusterView view,
      NodeId me,
      Key key,
      Optional<Consistency> w,
      Function<Version, Versioned> record) {
    refuseIfSkewed();
    Versioned first = record.apply(new Version(clock.next(), me));
    return place(view, key, w, first)
        .thenCompose(
            placed ->
                placed
                    .superseding()
                    .map(newer -> versionAgain(me, key, w, record, newer))
                    .orElseGet(() -> CompletableFuture.completedFuture(placed.result())));
  }

  /** What one placement did: its result, and the newest version a replica held instead. */
  private record Placed(WriteResult result, Optional<Version> superseding) {}

  /** One placement's quorum, and whether a replica found the member list stale. */
  private record Placement(CompletableFuture<Placed> placed, CompletableFuture<Void> staleView) {}

  private void refuseIfSkewed() {
    long jump = offsets.jumpMillis();
    if (jump > offsets.maxOffsetMillis()) {
      throw new KvException(
          ErrorCode.CLOCK_SKEW,
          "this node's wall clock jumped "
              + jump
              + " ms against its monotonic clock since it last measured the cluster's, more than "
              + "MAX_CLOCK_OFFSET ("
              + offsets.maxOffsetMillis()
              + " ms): it coordinates no write until "
              + "it has measured again (its next exchange); write through another node");
    }
    ClockOffsets.Verdict clockState = offsets.verdict();
    if (clockState.skewed()) {
      throw new KvException(
          ErrorCode.CLOCK_SKEW,
          "this node's clock is about "
              + Math.abs(clockState.medianOffsetMillis())
              + " ms "
              + (clockState.medianOffsetMillis() < 0 ? "ahead of" : "behind")
              + " the cluster's, more than MAX_CLOCK_OFFSET ("
              + offsets.maxOffsetMillis()
              + " ms): it coordinates no write until its clock is back; write through another node");
    }
  }

  /** A replica held a newer version: version the write above it and place it once more. */
  private CompletableFuture<WriteResult> versionAgain(
      NodeId me,
      Key key,
      Optional<Consistency> w,
      Function<Version, Versioned> record,
      Version newer) {
    try {
      clock.observe(newer.timestamp());
    } catch (KvException e) {
      return CompletableFuture.failedFuture(
          new KvException(
              ErrorCode.CLOCK_SKEW,
              "a replica "
                  + "holds version "
                  + newer
                  + " of this key, beyond what this node's clock may follow: "
                  + e.getMessage()
                  + "; this write was not kept"));
    }
    metrics.versionedAgain();
    Versioned again = record.apply(new Version(clock.next(), me));
    return place(views.current(), key, w, again).thenApply(Placed::result);
  }

  private CompletableFuture<Placed> place(
      ClusterView view, Key key, Optional<Consistency> w, Versioned written) {
    Placement first = placeOnce(view, key, w, written);
    return first
        .placed()
        .handle(
            (placed, error) -> {
              if (error == null) {
                first.staleView().thenRun(() -> placeAgainLater(view, key, written));
                return first.placed();
              }
              if (!first.staleView().isDone()) {
                return first.placed();
              }
              metrics.replaced(true);
              return newerView(view)
                  .thenCompose(newer -> placeOnce(newer, key, w, written).placed());
            })
        .thenCompose(Function.identity());
  }

  private Placement placeOnce(
      ClusterView view, Key key, Optional<Consistency> w, Versioned written) {
    List<Replica> replicas = lists.replicas(view, key);
    int required = lists.required("w", w, defaultW, replicas.size());
    HintedWrite calls = new HintedWrite(key, written, view, replicas, peers, hints, metrics);
    List<CompletableFuture<Void>> writes = Quorum.callAll(replicas, calls);
    CompletableFuture<Placed> placed =
        Quorum.await(replicas, writes, required, calls)
            .thenApply(
                acks ->
                    new Placed(
                        new WriteResult(
                            written.version(),
                            ids(replicas),
                            acks.stream().map(a -> a.from().id()).toList()),
                        calls.superseding()));
    return new Placement(placed, calls.staleView());
  }

  /** The write had its quorum, but a replica had a newer list: its replicas get it too. */
  private void placeAgainLater(ClusterView view, Key key, Versioned written) {
    metrics.replaced(false);
    newerView(view)
        .thenCompose(
            newer -> placeOnce(newer, key, Optional.of(Consistency.exactly(1)), written).placed())
        .exceptionally(
            e -> {
              log.debug("Placing {} again on a newer member list failed: {}", key, e.getMessage());
              return null;
            });
  }

  /** This node's next member list after {@code view}, within the time a peer call may take. */
  private CompletableFuture<ClusterView> newerView(ClusterView view) {
    return views
        .newerThan(view.version())
        .orTimeout(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            e ->
                CompletableFuture.failedFuture(
                    new KvException(
                        ErrorCode.UNAVAILABLE,
                        "a replica has a newer member list than version "
                            + view.version()
                            + ", which this node could not get within "
                            + catchUpTimeout
                            + "; membership is changing, retry shortly")));
  }

  private static List<NodeId> ids(List<Replica> replicas) {
    return replicas.stream().map(Replica::id).toList();
  }
}
