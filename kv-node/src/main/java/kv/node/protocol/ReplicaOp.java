package kv.node.protocol;

import java.util.Optional;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;

/** One replica operation a coordinator asks of another node, alone or in a batch. */
public sealed interface ReplicaOp {
  Key key();

  /** The replica's record for the key, a tombstone included. */
  record Read(Key key) implements ReplicaOp {}

  /**
   * Keep {@code record} if it is newer than what the replica has; with {@code hintFor}, keep it as
   * a hint for that node instead (sloppy quorum). {@code placedOn} is the version of the member
   * list the coordinator chose this replica with ({@link #UNPLACED} for writes no ring placed:
   * repairs, hint deliveries); a replica with a newer list on which the key's replicas differ
   * refuses it ({@code STALE_VIEW}).
   */
  record Write(Key key, Versioned record, Optional<NodeId> hintFor, long placedOn)
      implements ReplicaOp {
    public static final long UNPLACED = 0;

    public Write {
      if (placedOn < 0 || (placedOn != UNPLACED && hintFor.isPresent())) {
        throw new IllegalArgumentException(
            "a write is placed on a list version >= 1, unless a hint: " + placedOn);
      }
    }
  }
}
