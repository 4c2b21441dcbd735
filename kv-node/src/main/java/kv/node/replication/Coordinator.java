package kv.node.replication;

import java.util.List;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.error.QuorumNotMetException;
import kv.node.handoff.HintWriter;
import kv.node.peer.PeerClient;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.HybridClock;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a client request on whichever node it entered (Dynamo's coordinator): finds the key's
 * preference list of N replicas on the current ring, sends the operation to all of them in
 * parallel (this node's storage directly, others with one pooled round trip each) and answers once
 * W (writes) or R (reads) have answered. Every write carries a new version from this node's hybrid
 * clock; replicas keep the newest; a delete writes a tombstone. Reads answer with the newest of
 * the first R replies and repair stale replicas once all have answered. A write whose replica
 * cannot be reached is handed to a stand-in as a hint ({@link HintedWrite}: sloppy quorum, hinted
 * handoff). Replica operations never come back through here, so a request is forwarded at most
 * once.
 *
 * <p>N is {@code REPLICATION_FACTOR} capped at the largest member list this node has seen (so a
 * one- or two-node cluster works), never at the members it happens to see now: a node whose list
 * has shrunk (it started before the others, or every node is registering again after the seed
 * lost them) refuses a request it cannot give its W or R replicas, instead of quietly needing
 * fewer (Cassandra's {@code Unavailable}).
 */
public final class Coordinator {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final ViewHolder views;
  private final StorageEngine storage;
  private final PeerClient peers;
  private final Supplier<Optional<NodeId>> self;
  private final HybridClock clock;
  private final ClockBound clockBound;
  private final Policy policy;
  private final ReplicationMetrics metrics;
  private final ReadRepair readRepair;
  private final HintWriter hints;
  private final IntSupplier largestCluster;
  private final Duration catchUpTimeout;

  /** N, and the default W and R (each capped at the replicas a key actually has). */
  public record Policy(int replicationFactor, Consistency writeQuorum, Consistency readQuorum) {
    public Policy {
      if (replicationFactor < 1) {
        throw new IllegalArgumentException("replicationFactor < 1: " + replicationFactor);
      }
    }
  }

  public Coordinator(ViewHolder views, StorageEngine storage, PeerClient peers,
      Supplier<Optional<NodeId>> self, HybridClock clock, ClockBound clockBound, Policy policy,
      ReplicationMetrics metrics, HintWriter hints, IntSupplier largestCluster,
      Duration catchUpTimeout) {
    this.views = views;
    this.storage = storage;
    this.peers = peers;
    this.self = self;
    this.clock = clock;
    this.clockBound = clockBound;
    this.policy = policy;
    this.metrics = metrics;
    this.readRepair = new ReadRepair(metrics);
    this.hints = hints;
    this.largestCluster = largestCluster;
    this.catchUpTimeout = catchUpTimeout;
  }

  /** The newest value among R replicas; {@code NOT_FOUND} when absent or deleted. */
  public CompletableFuture<ReadResult> get(Key key, Optional<Consistency> r) {
    List<Replica> replicas = preferenceList(key);
    int required = required("r", r, policy.readQuorum(), replicas.size());
    List<CompletableFuture<Optional<Versioned>>> reads = Quorum.callAll(replicas, rep -> metrics.track(false, rep, rep.read(key)));
    readRepair.afterAllAnswer(key, replicas, reads);
    return Quorum.await(replicas, reads, required).thenApply(replies -> {
      Quorum.Reply<Optional<Versioned>> newest = replies.get(0);
      for (Quorum.Reply<Optional<Versioned>> reply : replies) {
        if (isNewer(reply.answer(), newest.answer())) {
          newest = reply;
        }
      }
      Versioned found = newest.answer().filter(v -> !v.isTombstone()).orElseThrow(
          () -> new KvException(ErrorCode.NOT_FOUND, "key not found: " + key.value()));
      return new ReadResult(found.value(), found.version(), newest.from().id(), ids(replicas));
    });
  }

  public CompletableFuture<WriteResult> put(Key key, Value value, Optional<Consistency> w) {
    return write(key, w, version -> Versioned.live(version, value));
  }

  public CompletableFuture<WriteResult> delete(Key key, Optional<Consistency> w) {
    return write(key, w, Versioned::tombstone);
  }

  /** The nodes that replicate {@code key} on the current ring, in preference order. */
  public List<NodeId> owners(Key key) {
    return requireRing().ring().preferenceList(key.token(), policy.replicationFactor());
  }

  public Policy policy() {
    return policy;
  }

  private CompletableFuture<WriteResult> write(
      Key key, Optional<Consistency> w, Function<Version, Versioned> record) {
    ClusterView view = requireRing();
    NodeId me = self.get().orElseThrow(Coordinator::notReady);
    Versioned written = record.apply(new Version(clock.next(), me));
    return place(view, key, w, written);
  }

  /**
   * Sends a write to its replicas on {@code view}. A replica with a newer member list on which the
   * key's replicas differ refuses it; the write is then placed again, same version, on the newer
   * list once this node has it (the refusal's answer already told this node to catch up): the
   * client waits for that when the first placement missed its quorum, and not when it met it
   * (the newer list's replicas get the write in the background).
   */
  private CompletableFuture<WriteResult> place(
      ClusterView view, Key key, Optional<Consistency> w, Versioned written) {
    Placement first = placeOnce(view, key, w, written);
    return first.result().handle((result, error) -> {
      if (error == null) {
        first.staleView().thenRun(() -> placeAgainLater(view, key, written));
        return first.result();
      }
      if (!first.staleView().isDone()) {
        return first.result();
      }
      metrics.replaced(true);
      return newerView(view).thenCompose(newer -> placeOnce(newer, key, w, written).result());
    }).thenCompose(Function.identity());
  }

  /** One placement of a write: its quorum, and whether a replica found the list stale. */
  private record Placement(
      CompletableFuture<WriteResult> result, CompletableFuture<Void> staleView) {}

  private Placement placeOnce(
      ClusterView view, Key key, Optional<Consistency> w, Versioned written) {
    List<Replica> replicas = preferenceList(view, key);
    int required = required("w", w, policy.writeQuorum(), replicas.size());
    HintedWrite calls =
        new HintedWrite(key, written, view, replicas.size(), peers, hints, metrics);
    List<CompletableFuture<Void>> writes = Quorum.callAll(replicas, calls);
    return new Placement(Quorum.await(replicas, writes, required, calls).thenApply(acks ->
        new WriteResult(written.version(), ids(replicas), acks.stream().map(a -> a.from().id()).toList())),
        calls.staleView());
  }

  /** The write had its quorum, but a replica had a newer list: its replicas get it too. */
  private void placeAgainLater(ClusterView view, Key key, Versioned written) {
    metrics.replaced(false);
    newerView(view)
        .thenCompose(newer ->
            placeOnce(newer, key, Optional.of(Consistency.exactly(1)), written).result())
        .exceptionally(e -> {
          log.debug("Placing {} again on a newer member list failed: {}", key, e.getMessage());
          return null;
        });
  }

  /** This node's next member list after {@code view}, within the time a peer call may take. */
  private CompletableFuture<ClusterView> newerView(ClusterView view) {
    return views.newerThan(view.version())
        .orTimeout(catchUpTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(new KvException(
            ErrorCode.UNAVAILABLE, "a replica has a newer member list than version "
            + view.version() + ", which this node could not get within " + catchUpTimeout
            + "; membership is changing, retry shortly")));
  }

  /**
   * The replicas a request waits for, counted against N as the cluster's size sets it; fails at
   * once when fewer than that are in this node's member list.
   */
  private int required(String name, Optional<Consistency> asked, Consistency fallback, int inList) {
    int n = Math.min(policy.replicationFactor(), Math.max(inList, largestCluster.getAsInt()));
    int required = asked.map(c -> c.required(name, n)).orElseGet(() -> fallback.requiredCapped(n));
    if (required > inList) {
      throw new QuorumNotMetException(required, 0, "only " + inList + " of this key's " + n
          + " replicas are in the member list now (the cluster has had " + largestCluster.getAsInt()
          + " members); no replica was asked");
    }
    return required;
  }

  private static boolean isNewer(Optional<Versioned> candidate, Optional<Versioned> current) {
    return candidate.isPresent()
        && (current.isEmpty() || candidate.get().version().isNewerThan(current.get().version()));
  }

  private List<Replica> preferenceList(Key key) {
    return preferenceList(requireRing(), key);
  }

  private List<Replica> preferenceList(ClusterView view, Key key) {
    List<NodeId> owners = view.ring().preferenceList(key.token(), policy.replicationFactor());
    Optional<NodeId> me = self.get();
    return owners.stream().map(id -> replica(view, id, me)).toList();
  }

  private Replica replica(ClusterView view, NodeId id, Optional<NodeId> me) {
    if (me.isPresent() && me.get().equals(id)) {
      return new LocalReplica(id, storage, clockBound);
    }
    return new RemoteReplica(id, view.endpoint(id).orElseThrow(), peers, view.version());
  }

  private ClusterView requireRing() {
    ClusterView view = views.current();
    if (view.ring().isEmpty()) {
      throw notReady();
    }
    return view;
  }

  private static KvException notReady() {
    return new KvException(ErrorCode.UNAVAILABLE,
        "this node has not joined the cluster yet (is the seed reachable?); try again shortly");
  }

  private static List<NodeId> ids(List<Replica> replicas) {
    return replicas.stream().map(Replica::id).toList();
  }

  /** What a read found, its version, and which replica's answer won. */
  public record ReadResult(Value value, Version version, NodeId servedBy, List<NodeId> owners) {}

  /** The version written, which replicas own the key and which acknowledged the write. */
  public record WriteResult(Version version, List<NodeId> owners, List<NodeId> acknowledged) {}
}
