package kv.node.ring;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;

/**
 * One immutable snapshot of the cluster as this node sees it: the seed's member list of one version
 * (and when the seed made it, epoch milliseconds by the seed's clock), with its ring.
 */
public record ClusterView(
    long version, Map<NodeId, Endpoint> members, HashRing ring, long changedAt) {
  public ClusterView {
    members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }

  public static ClusterView empty(int vnodes) {
    return new ClusterView(0, Map.of(), HashRing.of(List.of(), vnodes), 0);
  }

  public static ClusterView of(MembershipView view, int vnodes) {
    Map<NodeId, Endpoint> members = new LinkedHashMap<>();
    for (MemberInfo member : view.members()) {
      members.put(member.id(), member.address());
    }
    return new ClusterView(
        view.version(), members, HashRing.of(members.keySet(), vnodes), view.changedAt());
  }

  public Optional<Endpoint> endpoint(NodeId node) {
    return Optional.ofNullable(members.get(node));
  }

  /** The seed's list this view was built from, as it travels between nodes. */
  public MembershipView toWire() {
    return new MembershipView(
        version,
        members.entrySet().stream().map(e -> new MemberInfo(e.getKey(), e.getValue())).toList(),
        changedAt);
  }
}
