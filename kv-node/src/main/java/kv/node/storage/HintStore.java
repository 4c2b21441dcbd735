package kv.node.storage;

import java.util.List;
import java.util.Set;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;

/**
 * Where a node keeps the hints it holds for other replicas, apart from its own records (a hint is
 * not this node's data and is never served to a read). Hints of one target come back oldest first:
 * by creation time, then in the order they were added. Implementations are thread-safe.
 */
public interface HintStore extends AutoCloseable {
  /** Keeps a hint for {@code target}; returns it with its sequence number. */
  Hint add(NodeId target, Key key, Versioned record, long createdAtMillis);

  /** Up to {@code max} of the target's hints, oldest first. */
  List<Hint> batch(NodeId target, int max);

  /** The targets that have at least one hint. */
  Set<NodeId> targets();

  /** Removes a hint (once delivered); returns whether it was still there. */
  boolean remove(Hint hint);

  /** Removes every hint made before {@code cutoffMillis}; returns how many. */
  int expireCreatedBefore(long cutoffMillis);

  /** Hints held, all targets together. */
  long pending();

  @Override
  void close();
}
