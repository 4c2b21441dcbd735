package kv.node.sync;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.node.ring.ClusterView;
import kv.node.ring.HashRing;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;
import kv.node.storage.TokenRange;
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
 *   <li>a range it no longer replicates is <b>handed off</b>: its records are pushed to the key's
 *       current replicas and dropped here only once they have acknowledged them.
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
  private final Supplier<Optional<NodeId>> self;
  private final int replicationFactor;
  private final int vnodes;
  private final StorageEngine storage;
  private final RangeSync sync;
  private final PendingRanges pending;
  private final TransferBudget budget;
  private final SyncMetrics metrics;
  private final boolean startedEmpty;
  private final Deque<Gain> gains = new ArrayDeque<>(); // guarded by this
  private final Deque<Handoff> handoffs = new ArrayDeque<>(); // guarded by this
  private ClusterView probeView; // guarded by this: the first view, when this node started empty
  private boolean wasMember; // guarded by this: some list since this process started named it

  /**
   * A range to pull from {@code sources} as {@code planned} placed them; {@code marked} says
   * whether it made the range pending (and so must unmark it).
   */
  private record Gain(TokenRange range, List<NodeId> sources, ClusterView planned, boolean marked,
      int attempts) {
    Gain retried() {
      return new Gain(range, sources, planned, marked, attempts + 1);
    }
  }

  /** A range to hand off once this node's view is at least {@code viewVersion}. */
  private record Handoff(TokenRange range, long viewVersion) {}

  public Rebalancer(ViewHolder views, Supplier<Optional<NodeId>> self, int replicationFactor,
      int vnodes, StorageEngine storage, RangeSync sync, PendingRanges pending,
      TransferBudget budget, SyncMetrics metrics) {
    this.vnodes = vnodes;
    this.views = views;
    this.self = self;
    this.replicationFactor = replicationFactor;
    this.storage = storage;
    this.sync = sync;
    this.pending = pending;
    this.budget = budget;
    this.metrics = metrics;
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
    Optional<NodeId> me = self.get();
    if (me.isEmpty() || !after.members().containsKey(me.get())) {
      return;
    }
    boolean first;
    boolean returning;
    synchronized (this) {
      first = !wasMember;
      // in an earlier list, then missing from some (the seed lost it for a moment): it still holds
      // its data, so it serves on while it pulls what it missed
      returning = wasMember && !before.members().containsKey(me.get());
      wasMember = true;
    }
    // On the first view after starting, the ranges came from the ring without this node.
    HashRing previous = first ? HashRing.of(others(after, me.get()), vnodes) : before.ring();
    List<HashRing.Change> changes = HashRing.changes(previous, after.ring(), replicationFactor);
    int gained = 0;
    int lost = 0;
    synchronized (this) {
      if (first) {
        pending.clear();
        probeView = startedEmpty ? after : null;
      }
      for (HashRing.Change change : changes) {
        boolean was = change.before().contains(me.get());
        boolean is = change.after().contains(me.get());
        if (is && !was) {
          List<NodeId> sources = sources(change.before(), after, me.get());
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
          handoffs.add(new Handoff(change.range(), after.version()));
          lost++;
        }
      }
    }
    if (gained + lost > 0) {
      log.info("Membership version {}: pulling {} range(s) this node now replicates, handing off {}",
          after.version(), gained, lost);
    }
  }

  /**
   * Queues a hand-off of every range this node does not replicate on the current ring, for records
   * that arrived through a coordinator with an older view. Usually they are empty: one seek each.
   */
  public void sweep() {
    Optional<NodeId> me = self.get();
    ClusterView view = views.current();
    if (me.isEmpty() || !view.members().containsKey(me.get())) {
      return;
    }
    List<Handoff> foreign = view.ring().segments(replicationFactor).stream()
        .filter(segment -> !segment.owners().contains(me.get()))
        .map(segment -> new Handoff(segment.range(), view.version()))
        .toList();
    synchronized (this) {
      handoffs.addAll(foreign);
    }
  }

  /** Whether every planned transfer has finished. */
  public synchronized boolean isIdle() {
    return gains.isEmpty() && handoffs.isEmpty();
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
    queued = queuedHandoffs();
    Handoff handoff;
    for (int i = 0; i < queued && running() && (handoff = nextHandoff()) != null; i++) {
      handOffNow(handoff);
    }
  }

  /** Budget left, and the node is not stopping (its sync thread is interrupted then). */
  private boolean running() {
    return budget.available() && !Thread.currentThread().isInterrupted();
  }

  private synchronized int queuedGains() {
    return gains.size();
  }

  private synchronized int queuedHandoffs() {
    return handoffs.size();
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
   * new cluster starts: one whole-ring Merkle root per member says so, and the node serves at
   * once instead of failing reads until hundreds of empty ranges have been compared. Only members
   * that already have this view (and so place no more writes without this node) can vouch.
   */
  private void skipPullsIfTheClusterIsEmpty(ClusterView view) {
    Optional<NodeId> me = self.get();
    try {
      for (Map.Entry<NodeId, Endpoint> member : view.members().entrySet()) {
        if (member.getKey().equals(me.orElse(null))) {
          continue;
        }
        SyncPeerClient.TreeReply root = sync.root(member.getValue(), TokenRange.fullRing());
        if (root.tree().root() != 0 || root.viewVersion() < view.version()) {
          return; // there is data somewhere, or may be soon: pull as planned
        }
      }
    } catch (RuntimeException e) {
      log.debug("Could not ask every member whether it is empty ({}); pulling as planned",
          e.getMessage());
      return;
    }
    synchronized (this) {
      gains.forEach(this::unmark);
      gains.clear();
    }
    log.info("Every other member is empty: nothing to pull");
  }

  private synchronized Handoff nextHandoff() {
    return handoffs.pollFirst();
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
      log.warn("No previous replica of {} answered after {} attempts; serving it with what "
          + "arrives from now on, anti-entropy will fill it in", gain.range(), GAIN_ATTEMPTS);
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

  private synchronized void requeue(Handoff handoff) {
    handoffs.addLast(handoff);
  }

  /**
   * Pushes every record in {@code range} that this node does not replicate on the current ring to
   * the replicas that do, then drops it here (unless a newer write arrived meanwhile).
   */
  private void handOffNow(Handoff handoff) {
    ClusterView view = views.current();
    Optional<NodeId> me = self.get();
    if (me.isEmpty() || view.ring().isEmpty()) {
      return;
    }
    if (view.version() < handoff.viewVersion()) {
      requeue(handoff); // planned for a view this thread does not see yet
      return;
    }
    TokenRange range = handoff.range();
    Map<NodeId, List<SyncRecord>> byOwner = new LinkedHashMap<>();
    List<SyncRecord> foreign = new ArrayList<>();
    storage.scan(range, (key, record) -> {
      List<NodeId> owners = view.ring().preferenceList(key.token(), replicationFactor);
      if (!owners.contains(me.get())) {
        SyncRecord r = new SyncRecord(key, record);
        foreign.add(r);
        owners.forEach(owner -> byOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(r));
      }
    });
    if (foreign.isEmpty()) {
      return;
    }
    try {
      for (Map.Entry<NodeId, List<SyncRecord>> entry : byOwner.entrySet()) {
        Endpoint at = view.endpoint(entry.getKey()).orElseThrow();
        sync.push(at, entry.getValue());
      }
    } catch (RuntimeException e) {
      log.info("Handing off {} record(s) of {} failed ({}); keeping them and retrying",
          foreign.size(), range, e.getMessage());
      requeue(handoff);
      return;
    }
    int dropped = 0;
    for (SyncRecord r : foreign) {
      if (storage.remove(r.key(), r.record().version())) {
        dropped++;
      }
    }
    budget.spend(foreign.size());
    metrics.handedOff(foreign.size());
    log.debug("Handed off {} record(s) of {}, dropped {}", foreign.size(), range, dropped);
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
