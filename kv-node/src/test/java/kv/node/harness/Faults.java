package kv.node.harness;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import kv.common.Endpoint;
import kv.common.NodeId;

/** Which node pairs cannot talk: a partition drops traffic both ways. */
public final class Faults {
  private final Set<Set<NodeId>> blocked = ConcurrentHashMap.newKeySet();
  private final Map<Integer, NodeId> byPort = new ConcurrentHashMap<>();

  void nodeAt(NodeId id, int port) {
    byPort.put(port, id);
  }

  public void partition(NodeId a, NodeId b) {
    blocked.add(Set.of(a, b));
  }

  public void heal() {
    blocked.clear();
  }

  boolean isBlocked(NodeId from, Endpoint to) {
    NodeId target = byPort.get(to.port());
    return target != null && !target.equals(from) && blocked.contains(Set.of(from, target));
  }
}
