package kv.node.ring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;

/** One immutable snapshot of the cluster as this node sees it: members, addresses and ring. */
public record ClusterView(long version, Map<NodeId, Endpoint> members, HashRing ring) {
  public ClusterView {
    members = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }

  public static ClusterView empty(int vnodes) {
    return new ClusterView(0, Map.of(), HashRing.of(List.of(), vnodes));
  }

  public static ClusterView of(MembershipView view, int vnodes) {
    Map<NodeId, Endpoint> members = new LinkedHashMap<>();
    for (MemberInfo member : view.members()) {
      members.put(member.id(), member.address());
    }
    return new ClusterView(view.version(), members, HashRing.of(members.keySet(), vnodes));
  }

  public Optional<Endpoint> endpoint(NodeId node) {
    return Optional.ofNullable(members.get(node));
  }
}
