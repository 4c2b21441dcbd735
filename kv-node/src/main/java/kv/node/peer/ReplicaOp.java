package kv.node.peer;

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
   * Keep {@code record} if it is newer than what the replica has; with {@code hintFor}, keep it
   * as a hint for that node instead (sloppy quorum).
   */
  record Write(Key key, Versioned record, Optional<NodeId> hintFor) implements ReplicaOp {}
}
