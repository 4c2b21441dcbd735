package kv.node.sync;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import kv.common.NodeId;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;

/**
 * Since when each current member has been in this node's view without a break, by this node's
 * clock: a member that leaves and comes back starts again, and after this node restarts every
 * member counts from that restart (it cannot know better, and later is the safe side). Handing off
 * waits on it: a node that joined a moment ago may crash before anti-entropy ever compares it.
 */
public final class MemberTenure implements ViewHolder.Listener {
  private final Clock clock;
  private final Map<NodeId, Instant> since = new ConcurrentHashMap<>();

  public MemberTenure(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void viewChanged(ClusterView before, ClusterView after) {
    Instant now = clock.instant();
    since.keySet().retainAll(after.members().keySet());
    after.members().keySet().forEach(id -> since.putIfAbsent(id, now));
  }

  /** When {@code member} joined, as far as this node has seen; empty when it is not a member. */
  public Optional<Instant> since(NodeId member) {
    return Optional.ofNullable(since.get(member));
  }
}
