package kv.node.sync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.protocol.SyncRecord;
import kv.node.ring.ClusterView;
import kv.node.ring.HashRing;
import kv.node.ring.TokenRange;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets go of the records of ranges this node no longer replicates, and only when that cannot lose
 * them. A range is kept (still on disk, no longer served: it is in no preference list of this node)
 * until every current replica of it
 *
 * <ul>
 *   <li>has been a member for the settling period ({@code HANDOFF_SETTLE}, by {@link
 *       MemberTenure}): a node that joins and crashes is expired long before, and the range returns
 *       here; and
 *   <li>holds each record at the same or a newer version, by a Merkle comparison ({@link
 *       RangeSync#unconfirmed}); what a replica lacks is pushed to it, and confirmed on a later
 *       attempt before it is dropped here.
 * </ul>
 *
 * {@link RebalanceSteps} paces the drops, so a change that moves much of the ring at once lets go
 * of it in steps. Ranges come from membership changes ({@link #add}) and from anti-entropy's sweep
 * of the ranges this node does not replicate ({@link #sweep}); both wait by the same rule. Only the
 * sync thread calls {@link #tick()}.
 */
public final class RangeHandoff {
  private static final Logger log = LoggerFactory.getLogger(RangeHandoff.class);

  /** How long a range whose replica could not be asked waits before the next try. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final ViewHolder views;
  private final NodeId self;
  private final int replicationFactor;
  private final StorageEngine storage;
  private final RangeSync sync;
  private final TransferBudget budget;
  private final SyncMetrics metrics;
  private final MemberTenure tenure;
  private final Clock clock;
  private final Duration settle;
  private final RebalanceSteps steps;
  private final Deque<Handoff> queue = new ArrayDeque<>(); // guarded by this
  private final Set<TokenRange> queued = new HashSet<>(); // guarded by this: the ranges in queue

  /**
   * A range to let go of once this node's view is at least {@code viewVersion}, not before {@code
   * notBefore}.
   */
  private record Handoff(TokenRange range, long viewVersion, Instant notBefore) {
    Handoff at(Instant time) {
      return new Handoff(range, viewVersion, time);
    }
  }

  /** What one attempt at a piece of a range came to: done, or when to look again. */
  private record Attempt(boolean done, Instant again) {
    static final Attempt DONE = new Attempt(true, Instant.MIN);

    static Attempt retryAt(Instant time) {
      return new Attempt(false, time);
    }
  }

  public RangeHandoff(
      ViewHolder views,
      NodeId self,
      int replicationFactor,
      StorageEngine storage,
      RangeSync sync,
      TransferBudget budget,
      SyncMetrics metrics,
      MemberTenure tenure,
      Clock clock,
      SyncConfig config) {
    this.views = views;
    this.self = self;
    this.replicationFactor = replicationFactor;
    this.storage = storage;
    this.sync = sync;
    this.budget = budget;
    this.metrics = metrics;
    this.tenure = tenure;
    this.clock = clock;
    this.settle = config.handoffSettle();
    this.steps = new RebalanceSteps(settle, config.maxRebalanceShare());
  }

  /** Queues {@code range}, which this node stopped replicating in view {@code viewVersion}. */
  public synchronized void add(TokenRange range, long viewVersion) {
    if (queued.add(range)) {
      queue.addLast(new Handoff(range, viewVersion, Instant.MIN));
    }
  }

  /**
   * Queues every range this node does not replicate on the current ring and holds records of, left
   * there by a coordinator with an older view. Usually they are empty: one seek each.
   */
  public void sweep() {
    ClusterView view = views.current();
    if (!view.members().containsKey(self)) {
      return;
    }
    for (HashRing.Segment segment : view.ring().segments(replicationFactor)) {
      if (!segment.owners().contains(self) && !storage.isEmpty(segment.range())) {
        add(segment.range(), view.version());
      }
    }
  }

  /** Whether no range is waiting to be let go of. */
  public synchronized boolean isIdle() {
    return queue.isEmpty();
  }

  /** Ranges kept here until their new replicas have settled and hold them. */
  public synchronized int size() {
    return queue.size();
  }

  /** Tries each queued range that is due once, while the budget lasts. */
  public void tick() {
    Set<NodeId> unreachable = new HashSet<>(); // failed this tick: not asked again until the next
    int dropped = 0;
    int queuedNow = size();
    for (int i = 0; i < queuedNow && running(); i++) {
      Handoff handoff = next();
      if (handoff == null) {
        break;
      }
      dropped += attempt(handoff, unreachable);
    }
    if (dropped > 0) {
      log.info(
          "Dropped {} record(s) now held by their settled replicas; {} range(s) still kept",
          dropped,
          size());
    }
  }

  private boolean running() {
    return budget.available() && !Thread.currentThread().isInterrupted();
  }

  private synchronized Handoff next() {
    return queue.pollFirst();
  }

  private synchronized void requeue(Handoff handoff) {
    queue.addLast(handoff);
  }

  private synchronized void finished(Handoff handoff) {
    queued.remove(handoff.range());
  }

  /** One attempt at every piece of {@code handoff}'s range; returns the records dropped. */
  private int attempt(Handoff handoff, Set<NodeId> unreachable) {
    Instant now = clock.instant();
    ClusterView view = views.current();
    if (now.isBefore(handoff.notBefore()) || view.version() < handoff.viewVersion()) {
      requeue(handoff); // not due, or planned for a view this thread does not see yet
      return 0;
    }
    if (view.ring().isEmpty()) {
      finished(handoff); // nothing to hand to: the records stay, a later sweep finds them
      return 0;
    }
    int[] dropped = {0};
    Instant again = null;
    for (HashRing.Segment piece : view.ring().segmentsWithin(handoff.range(), replicationFactor)) {
      if (piece.owners().contains(self)) {
        continue; // this node replicates it again
      }
      Attempt attempt = attempt(piece, view, now, unreachable, dropped);
      if (!attempt.done()) {
        again = again == null || attempt.again().isBefore(again) ? attempt.again() : again;
      }
    }
    if (again == null) {
      finished(handoff);
    } else {
      requeue(handoff.at(again));
    }
    return dropped[0];
  }

  private Attempt attempt(
      HashRing.Segment piece,
      ClusterView view,
      Instant now,
      Set<NodeId> unreachable,
      int[] dropped) {
    if (storage.isEmpty(piece.range())) {
      return Attempt.DONE;
    }
    Instant settled = settledAt(piece.owners(), now);
    if (now.isBefore(settled)) {
      return Attempt.retryAt(settled);
    }
    if (piece.owners().stream().anyMatch(unreachable::contains)) {
      return Attempt.retryAt(now.plus(RETRY_AFTER));
    }
    if (!steps.admit(piece.range(), now)) {
      return Attempt.retryAt(steps.nextRoom(now));
    }
    List<SyncRecord> records = new ArrayList<>(); // before asking: what arrives later stays
    storage.scan(piece.range(), (key, record) -> records.add(new SyncRecord(key, record)));
    Set<Key> unconfirmed = new HashSet<>();
    for (NodeId owner : piece.owners()) {
      try {
        Endpoint at = view.endpoint(owner).orElseThrow();
        unconfirmed.addAll(sync.unconfirmed(piece.range(), at, budget));
      } catch (RuntimeException e) {
        unreachable.add(owner);
        log.debug(
            "Could not confirm {} with {} ({}); keeping it", piece.range(), owner, e.getMessage());
        return Attempt.retryAt(now.plus(RETRY_AFTER));
      }
    }
    int removed = 0;
    for (SyncRecord r : records) {
      // a newer write that arrived meanwhile has another version and stays
      if (!unconfirmed.contains(r.key()) && storage.remove(r.key(), r.record().version())) {
        removed++;
      }
    }
    metrics.handedOff(removed);
    dropped[0] += removed;
    return unconfirmed.isEmpty() ? Attempt.DONE : Attempt.retryAt(now); // pushed: confirm next tick
  }

  /** When the last of {@code owners} to join will have been a member for the settling period. */
  private Instant settledAt(List<NodeId> owners, Instant now) {
    Instant latest = Instant.MIN;
    for (NodeId owner : owners) {
      Instant since = tenure.since(owner).orElse(now); // not seen as a member yet: from now
      latest = since.isAfter(latest) ? since : latest;
    }
    return latest.plus(settle);
  }
}
