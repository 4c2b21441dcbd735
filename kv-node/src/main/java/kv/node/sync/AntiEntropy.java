package kv.node.sync;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.node.ring.ClusterView;
import kv.node.ring.HashRing;
import kv.node.ring.TokenRange;
import kv.node.ring.ViewHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background repair that catches whatever read repair and hinted handoff missed (a replica that was
 * away longer than the hint window, a wiped disk, a lost hint). Every {@code period} a round
 * starts: for each range this node replicates it compares Merkle trees with each other replica of
 * the range whose id sorts after its own (so each pair is compared once per round, by one side) and
 * exchanges only the differing records, both ways. A round also has the {@link Rebalancer} sweep
 * the ranges this node does not replicate. Rounds proceed within the shared {@link TransferBudget}
 * and may span several ticks.
 */
public final class AntiEntropy {
  private static final Logger log = LoggerFactory.getLogger(AntiEntropy.class);

  private final ViewHolder views;
  private final NodeId self;
  private final int replicationFactor;
  private final RangeSync sync;
  private final Rebalancer rebalancer;
  private final TransferBudget budget;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final Duration period;
  private final Deque<Task> round = new ArrayDeque<>(); // only the sync thread touches it
  private long nextRoundMillis;
  private Stats stats = new Stats();

  private record Task(TokenRange range, NodeId peer) {}

  private static final class Stats {
    final Set<NodeId> unreachable = new HashSet<>(); // skipped for the round
    long startedMillis;
    int compared;
    int differing;
    long repaired;
    int failed;
  }

  public AntiEntropy(
      ViewHolder views,
      NodeId self,
      int replicationFactor,
      RangeSync sync,
      Rebalancer rebalancer,
      TransferBudget budget,
      SyncMetrics metrics,
      Clock clock,
      Duration period) {
    this.views = views;
    this.self = self;
    this.replicationFactor = replicationFactor;
    this.sync = sync;
    this.rebalancer = rebalancer;
    this.budget = budget;
    this.metrics = metrics;
    this.clock = clock;
    this.period = period;
    this.nextRoundMillis = clock.millis() + period.toMillis();
  }

  /** Starts a round when one is due, then works through it while the budget lasts. */
  public void tick() {
    if (round.isEmpty() && clock.millis() >= nextRoundMillis) {
      plan();
    }
    while (!round.isEmpty() && budget.available() && !Thread.currentThread().isInterrupted()) {
      Task task = round.pollFirst();
      compare(task);
      if (round.isEmpty()) {
        finish();
      }
    }
  }

  /** Whether a round is under way. */
  public boolean inRound() {
    return !round.isEmpty();
  }

  private void plan() {
    nextRoundMillis = clock.millis() + period.toMillis();
    ClusterView view = views.current();
    if (!view.members().containsKey(self)) {
      return;
    }
    stats = new Stats();
    stats.startedMillis = clock.millis();
    rebalancer.sweep();
    for (HashRing.Segment segment : view.ring().segments(replicationFactor)) {
      if (!segment.owners().contains(self)) {
        continue;
      }
      for (NodeId peer : segment.owners()) {
        if (peer.compareTo(self) > 0) {
          round.add(new Task(segment.range(), peer));
        }
      }
    }
    if (round.isEmpty()) {
      finish(); // nothing to compare (a single node, or every peer sorts before this one)
    }
  }

  private void compare(Task task) {
    Optional<Endpoint> at = views.current().endpoint(task.peer());
    if (at.isEmpty() || stats.unreachable.contains(task.peer())) {
      return; // the peer left (the rebalancer takes over), or failed earlier in this round
    }
    try {
      RangeSync.Outcome outcome = sync.exchange(task.range(), at.get(), budget, false, 0);
      metrics.compared(outcome);
      stats.compared++;
      stats.differing += outcome.differingRanges();
      stats.repaired += outcome.pulled() + outcome.pushed();
      if (!outcome.complete()) {
        round.addFirst(task); // out of budget: carry on from here next tick
      }
    } catch (RuntimeException e) { // unreachable, or an answer that made no sense: next round
      stats.failed++;
      stats.unreachable.add(task.peer());
      log.info(
          "Anti-entropy with {} failed ({}); skipping it until the next round",
          task.peer(),
          e.getMessage());
    }
  }

  private void finish() {
    metrics.roundDone();
    if (stats.compared + stats.failed > 0) {
      log.info(
          "Anti-entropy round: {} range(s) compared, {} differed, {} record(s) repaired, "
              + "{} comparison(s) failed, in {} ms",
          stats.compared,
          stats.differing,
          stats.repaired,
          stats.failed,
          clock.millis() - stats.startedMillis);
    }
  }
}
