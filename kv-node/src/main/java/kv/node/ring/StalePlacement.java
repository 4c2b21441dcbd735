package kv.node.ring;

import java.util.Optional;
import kv.common.Key;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * Tells a replica whether a write was placed on it with a member list older than its own that names
 * other replicas for the key (CockroachDB's range-key mismatch, on a ring). Such a write is
 * refused, so the coordinator catches up and places it again, and a node that has joined never
 * misses a write that a coordinator still on the old list meant for the node it replaced. A write
 * placed on this node's current list, on a newer one, or on the list just before it with the same
 * replicas for the key (most keys, when one node joins or leaves) is accepted.
 */
public final class StalePlacement {
  private final ViewHolder views;
  private final int replicationFactor;

  public StalePlacement(ViewHolder views, int replicationFactor) {
    this.views = views;
    this.replicationFactor = replicationFactor;
  }

  /**
   * Throws {@code STALE_VIEW} when a write placed on list {@code placedOn} must be refused; a write
   * no ring placed (a repair, a hint delivered: {@code placedOn} 0) is always accepted.
   */
  public void check(Key key, long placedOn) {
    reason(key, placedOn)
        .ifPresent(
            why -> {
              throw new KvException(ErrorCode.STALE_VIEW, why);
            });
  }

  Optional<String> reason(Key key, long placedOn) {
    ViewHolder.Views both = views.both();
    ClusterView current = both.current();
    if (placedOn == 0 || placedOn >= current.version()) {
      return Optional.empty();
    }
    ClusterView previous = both.previous();
    if (placedOn == previous.version()
        && previous
            .ring()
            .preferenceList(key.token(), replicationFactor)
            .equals(current.ring().preferenceList(key.token(), replicationFactor))) {
      return Optional.empty();
    }
    return Optional.of(
        "the write was placed with member list "
            + placedOn
            + "; this node has "
            + current.version()
            + ", on which the key's replicas differ: place it again");
  }
}
