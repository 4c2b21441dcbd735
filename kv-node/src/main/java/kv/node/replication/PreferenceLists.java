package kv.node.replication;

import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.QuorumNotMetException;
import kv.node.protocol.PeerClient;
import kv.node.replica.ReplicaService;
import kv.node.ring.ClusterView;

/**
 * A key's replicas on a member list (this node's storage, or a peer reached over the network), and
 * how many of them a request waits for. N is {@code REPLICATION_FACTOR} capped at the largest
 * member list this node has seen (so a one- or two-node cluster works), never at the members it
 * happens to see now: a node whose list has shrunk (it started before the others, or every node is
 * registering again after the seed lost them) refuses a request it cannot give its W or R replicas,
 * instead of quietly needing fewer (Cassandra's {@code Unavailable}).
 */
final class PreferenceLists {
  private final ReplicaService local;
  private final PeerClient peers;
  private final NodeId self;
  private final int replicationFactor;
  private final IntSupplier largestCluster;

  PreferenceLists(
      ReplicaService local,
      PeerClient peers,
      NodeId self,
      int replicationFactor,
      IntSupplier largestCluster) {
    this.local = local;
    this.peers = peers;
    this.self = self;
    this.replicationFactor = replicationFactor;
    this.largestCluster = largestCluster;
  }

  /** The key's replicas on {@code view}, in preference order. */
  List<Replica> replicas(ClusterView view, Key key) {
    List<NodeId> owners = view.ring().preferenceList(key.token(), replicationFactor);
    return owners.stream().map(id -> replica(view, id)).toList();
  }

  /**
   * The replicas a request waits for, counted against N as the cluster's size sets it; fails at
   * once when fewer than that are in this node's member list.
   */
  int required(String name, Optional<Consistency> asked, Consistency fallback, int inList) {
    int n = Math.min(replicationFactor, Math.max(inList, largestCluster.getAsInt()));
    int required = asked.map(c -> c.required(name, n)).orElseGet(() -> fallback.requiredCapped(n));
    if (required > inList) {
      throw new QuorumNotMetException(
          required,
          0,
          "only "
              + inList
              + " of this key's "
              + n
              + " replicas are in the member list now (the cluster has had "
              + largestCluster.getAsInt()
              + " members); no replica was asked");
    }
    return required;
  }

  private Replica replica(ClusterView view, NodeId id) {
    if (self.equals(id)) {
      return new LocalReplica(id, local);
    }
    return new RemoteReplica(id, view.endpoint(id).orElseThrow(), peers, view.version());
  }
}
