package kv.node.sync;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.node.protocol.SyncPeerClient;
import kv.node.replica.PendingRanges;
import kv.node.ring.ClusterView;
import kv.node.ring.HashRing;
import kv.node.ring.TokenRange;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves data when membership changes, touching only the ranges whose replicas changed (never a
 * rescan of every key). On each new view ({@link #viewChanged}, called as it is installed) this
 * node diffs the old and new rings:
 *
 * <ul>
 *   <li>a range it now replicates and did not before is <b>gained</b>: it is marked pending (reads
 *       of it fail over to the other replicas instead of answering "not found") and pulled from the
 *       range's previous replicas that are still members, with a Merkle exchange, so a replica that
 *       already holds most of it (a restarted node) moves only the difference;
 *   <li>a range it no longer replicates is <b>handed off</b> ({@link RangeHandoff}): kept here
 *       until its new replicas have been members for the settling period and hold it.
 * </ul>
 *
 * A node that leaves or expires cannot hand anything off; the survivors that gain its ranges pull
 * them from the other previous replicas. The transfers run in {@link #tick()} on the background
 * sync thread, within the shared {@link TransferBudget}; a failed transfer is retried on later
 * ticks.
 */
public final class Rebalancer {
  private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);

  /** Ticks a gained range is retried when no previous replica answers, before giving up on it. */
  static final int GAIN_ATTEMPTS = 5;

  private final ViewHolder views;
  private final NodeId self;
  private final int replicationFactor;
  private final int vnodes;
  private final RangeSync sync;
  private final PendingRanges pending;
  private final TransferBudget budget;
  private final SyncMetrics metrics;
  private final boolean startedEmpty;
  private final RangeHandoff handoffs;
  private final Deque<Gain> gains = new ArrayDeque<>(); // guarded by this
  private ClusterView probeView; // guarded by this: the first view, when this node started empty
  private boolean wasMember; // guarded by this: some list since this process started named it

  /**
   * A range to pull from {@code sources} as {@code planned} placed them; {@code marked} says
   * whether it made the range pending (and so must unmark it).
   */
  private record Gain(
      TokenRange range, List<NodeId> sources, ClusterView planned, boolean marked, int attempts) {
    Gain retried() {
      return new Gain(range, sources, planned, marked, attempts + 1);
    }
  }

  public Rebalancer(
      ViewHolder views,
      NodeId self,
      int replicationFactor,
      int vnodes,
      StorageEngine storage,
      RangeSync sync,
      PendingRanges pending,
      TransferBudget budget,
      SyncMetrics metrics,
      RangeHandoff handoffs) {
    this.vnodes = vnodes;
    this.views = views;
    this.self = self;
    this.replicationFactor = replicationFactor;
    this.sync = sync;
    this.pending = pending;
    this.budget = budget;
    this.metrics = metrics;
    this.handoffs = handoffs;
    this.startedEmpty = storage.size() == 0;
    if (startedEmpty) {
      pending.add(TokenRange.fullRing()); // nothing here yet: until the first view says otherwise
    }
  }

  /**
   * Plans the transfers a membership change calls for. Runs on the thread that installs the view,
   * before the node serves with it, so a gained range is pending before any read of it arrives.
   */
  public void viewChanged(ClusterView before, ClusterView after) {
    if (!after.members().containsKey(self)) {
      return;
    }
    boolean first;
    boolean returning;
    synchronized (this) {
      first = !wasMember;
      // in an earlier list, then missing from some (the seed lost it for a moment): it still holds
      // its data, so it serves on while it pulls what it missed
      returning = wasMember && !before.members().containsKey(self);
      wasMember = true;
    }
    // On the first view after starting, the ranges came from the ring without this node.
    HashRing previous = first ? HashRing.of(others(after, self), vnodes) : before.ring();
    List<HashRing.Change> changes = HashRing.changes(previous, after.ring(), replicationFactor);
    int gained = 0;
    int lost = 0;
    synchronized (this) {
      if (first) {
        pending.clear();
        probeView = startedEmpty ? after : null;
      }
      for (HashRing.Change change : changes) {
        boolean was = change.before().contains(self);
        boolean is = change.after().contains(self);
        if (is && !was) {
          List<NodeId> sources = sources(change.before(), after, self);
          if (!sources.isEmpty()) {
            // a restarted or returning node serves what it has
            boolean mark = first ? startedEmpty : !returning;
            if (mark) {
              pending.add(change.range());
            }
            gains.add(new Gain(change.range(), sources, after, mark, 0));
            gained++;
          }
        } else if (was && !is) {
          handoffs.add(change.range(), after.version());
          lost++;
        }
      }
    }
    if (gained + lost > 0) {
      log.info(
          "Membership version {}: pulling {} range(s) this node now replicates, handing off {}",
          after.version(),
          gained,
          lost);
    }
  }

  /**
   * Queues a hand-off of every range this node does not replicate on the current ring, for records
   * that arrived through a coordinator with an older view. Usually they are empty: one seek each.
   */
  public void sweep() {
    handoffs.sweep();
  }

  /** Whether every planned transfer has finished, hand-offs still settling included. */
  public synchronized boolean isIdle() {
    return gains.isEmpty() && handoffs.isIdle();
  }

  /** Runs queued transfers, gains first, until the queue or the budget runs out. */
  public void tick() {
    ClusterView probe = takeProbe();
    if (probe != null) {
      skipPullsIfTheClusterIsEmpty(probe);
    }
    int queued = queuedGains(); // what a tick re-queues waits for the next tick
    Gain gain;
    for (int i = 0; i < queued && running() && (gain = nextGain()) != null; i++) {
      pull(gain);
    }
    handoffs.tick();
  }

  /** Budget left, and the node is not stopping (its sync thread is interrupted then). */
  private boolean running() {
    return budget.available() && !Thread.currentThread().isInterrupted();
  }

  private synchronized int queuedGains() {
    return gains.size();
  }

  private synchronized Gain nextGain() {
    return gains.pollFirst();
  }

  private synchronized ClusterView takeProbe() {
    ClusterView probe = probeView;
    probeView = null;
    return probe;
  }

  /**
   * A node that started empty has nothing to pull when every other member is empty too, as when a
   * new cluster starts: one whole-ring Merkle root per member says so, and the node serves at once
   * instead of failing reads until hundreds of empty ranges have been compared. Only members that
   * already have this view (and so place no more writes without this node) can vouch.
   */
  private void skipPullsIfTheClusterIsEmpty(ClusterView view) {
    try {
      for (Map.Entry<NodeId, Endpoint> member : view.members().entrySet()) {
        if (member.getKey().equals(self)) {
          continue;
        }
        SyncPeerClient.TreeReply root = sync.root(member.getValue(), TokenRange.fullRing());
        if (root.tree().root() != 0 || root.viewVersion() < view.version()) {
          return; // there is data somewhere, or may be soon: pull as planned
        }
      }
    } catch (RuntimeException e) {
      log.debug(
          "Could not ask every member whether it is empty ({}); pulling as planned",
          e.getMessage());
      return;
    }
    synchronized (this) {
      gains.forEach(this::unmark);
      gains.clear();
    }
    log.info("Every other member is empty: nothing to pull");
  }

  private void pull(Gain gain) {
    ClusterView current = views.current(); // the newer of it and the planned view has the sources
    ClusterView view = current.version() >= gain.planned().version() ? current : gain.planned();
    for (NodeId source : gain.sources()) {
      Optional<Endpoint> at = view.endpoint(source);
      if (at.isEmpty()) {
        continue; // left since: its copy is gone, try the next
      }
      try {
        // a source still receiving the range itself cannot complete this pull
        RangeSync.Outcome outcome =
            sync.exchange(gain.range(), at.get(), budget, true, gain.planned().version());
        metrics.received(outcome.pulled());
        if (!outcome.complete()) {
          requeue(gain); // out of budget: resume (the Merkle trees skip what already arrived)
          return;
        }
        unmark(gain);
        return;
      } catch (RuntimeException e) {
        log.debug("Pulling {} from {} failed: {}", gain.range(), source, e.getMessage());
      }
    }
    if (gain.attempts() + 1 < GAIN_ATTEMPTS) {
      requeue(gain.retried());
    } else {
      log.warn(
          "No previous replica of {} answered after {} attempts; serving it with what "
              + "arrives from now on, anti-entropy will fill it in",
          gain.range(),
          GAIN_ATTEMPTS);
      unmark(gain);
    }
  }

  private void unmark(Gain gain) {
    if (gain.marked()) {
      pending.remove(gain.range());
    }
  }

  private synchronized void requeue(Gain gain) {
    gains.addLast(gain);
  }

  private static List<NodeId> others(ClusterView view, NodeId me) {
    return view.members().keySet().stream().filter(id -> !id.equals(me)).toList();
  }

  private static List<NodeId> sources(List<NodeId> candidates, ClusterView after, NodeId me) {
    return candidates.stream()
        .filter(id -> !id.equals(me) && after.members().containsKey(id))
        .toList();
  }
}
