package kv.node.replication;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.handoff.HintWriter;
import kv.node.protocol.PeerClient;
import kv.node.replica.ReplicaService;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.version.ClockOffsets;
import kv.node.version.HybridClock;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Serves a client request on whichever node it entered (Dynamo's coordinator): finds the key's
 * preference list of N replicas on the current ring ({@link PreferenceLists}), sends the operation
 * to all of them in parallel (this node's storage directly, others with one pooled round trip each)
 * and answers once W (writes) or R (reads) have answered. Reads answer with the newest of the first
 * R replies and repair stale replicas once all have answered. Writes carry a new version from this
 * node's hybrid clock and are placed by {@link Writes}; a write whose replica cannot be reached is
 * handed to a stand-in as a hint ({@link HintedWrite}: sloppy quorum, hinted handoff). Replica
 * operations never come back through here, so a request is forwarded at most once.
 */
public final class Coordinator {
  private final ViewHolder views;
  private final NodeId self;
  private final Policy policy;
  private final ReplicationMetrics metrics;
  private final ReadRepair readRepair;
  private final PreferenceLists lists;
  private final Writes writes;

  /** N, and the default W and R (each capped at the replicas a key actually has). */
  public record Policy(int replicationFactor, Consistency writeQuorum, Consistency readQuorum) {
    public Policy {
      if (replicationFactor < 1) {
        throw new IllegalArgumentException("replicationFactor < 1: " + replicationFactor);
      }
    }
  }

  /** How this node's clock is kept honest: its hybrid clock and its measured offset. */
  public record Clocks(HybridClock clock, ClockOffsets offsets) {}

  public Coordinator(
      ViewHolder views,
      ReplicaService local,
      PeerClient peers,
      NodeId self,
      Clocks clocks,
      Policy policy,
      ReplicationMetrics metrics,
      HintWriter hints,
      IntSupplier largestCluster,
      Duration catchUpTimeout) {
    this.views = views;
    this.self = self;
    this.policy = policy;
    this.metrics = metrics;
    this.readRepair = new ReadRepair(metrics);
    this.lists =
        new PreferenceLists(local, peers, self, policy.replicationFactor(), largestCluster);
    this.writes =
        new Writes(
            views,
            lists,
            peers,
            hints,
            metrics,
            clocks.clock(),
            clocks.offsets(),
            policy.writeQuorum(),
            catchUpTimeout);
  }

  /** The newest value among R replicas; {@code NOT_FOUND} when absent or deleted. */
  public CompletableFuture<ReadResult> get(Key key, Optional<Consistency> r) {
    List<Replica> replicas = lists.replicas(requireRing(), key);
    int required = lists.required("r", r, policy.readQuorum(), replicas.size());
    List<CompletableFuture<Optional<Versioned>>> reads =
        Quorum.callAll(replicas, rep -> metrics.track(false, rep, rep.read(key)));
    readRepair.afterAllAnswer(key, replicas, reads);
    return Quorum.await(replicas, reads, required)
        .thenApply(
            replies -> {
              Quorum.Reply<Optional<Versioned>> newest = replies.get(0);
              for (Quorum.Reply<Optional<Versioned>> reply : replies) {
                if (isNewer(reply.answer(), newest.answer())) {
                  newest = reply;
                }
              }
              Versioned found =
                  newest
                      .answer()
                      .filter(v -> !v.isTombstone())
                      .orElseThrow(
                          () ->
                              new KvException(
                                  ErrorCode.NOT_FOUND, "key not found: " + key.value()));
              return new ReadResult(
                  found.value(),
                  found.version(),
                  newest.from().id(),
                  replicas.stream().map(Replica::id).toList());
            });
  }

  public CompletableFuture<WriteResult> put(Key key, Value value, Optional<Consistency> w) {
    return writes.write(requireRing(), self, key, w, version -> Versioned.live(version, value));
  }

  public CompletableFuture<WriteResult> delete(Key key, Optional<Consistency> w) {
    return writes.write(requireRing(), self, key, w, Versioned::tombstone);
  }

  /** The nodes that replicate {@code key} on the current ring, in preference order. */
  public List<NodeId> owners(Key key) {
    return requireRing().ring().preferenceList(key.token(), policy.replicationFactor());
  }

  public Policy policy() {
    return policy;
  }

  private static boolean isNewer(Optional<Versioned> candidate, Optional<Versioned> current) {
    return candidate.isPresent()
        && (current.isEmpty() || candidate.get().version().isNewerThan(current.get().version()));
  }

  private ClusterView requireRing() {
    ClusterView view = views.current();
    if (view.ring().isEmpty()) {
      throw notReady();
    }
    return view;
  }

  private static KvException notReady() {
    return new KvException(
        ErrorCode.UNAVAILABLE,
        "this node has not joined the cluster yet (is the seed reachable?); try again shortly");
  }

  /** What a read found, its version, and which replica's answer won. */
  public record ReadResult(Value value, Version version, NodeId servedBy, List<NodeId> owners) {}

  /** The version written, which replicas own the key and which acknowledged the write. */
  public record WriteResult(Version version, List<NodeId> owners, List<NodeId> acknowledged) {}
}
