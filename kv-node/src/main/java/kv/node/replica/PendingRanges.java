package kv.node.replica;

import java.util.ArrayList;
import java.util.List;
import kv.node.ring.TokenRange;

/**
 * The token ranges this node has taken on but not yet received from their previous replicas. A
 * replica read of a key in one of them must not answer "not found" (the key may well exist): it
 * fails instead, and the coordinator counts the other replicas. Reads check {@link #contains} on
 * the hot path, so the common case, nothing pending, is one volatile read.
 */
public final class PendingRanges {
  private volatile List<TokenRange> ranges = List.of();

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  public boolean contains(long token) {
    List<TokenRange> current = ranges;
    for (int i = 0; i < current.size(); i++) {
      if (current.get(i).contains(token)) {
        return true;
      }
    }
    return false;
  }

  /** Whether any pending range shares a token with {@code range}. */
  public boolean overlaps(TokenRange range) {
    List<TokenRange> current = ranges;
    for (int i = 0; i < current.size(); i++) {
      TokenRange other = current.get(i);
      // two arcs of the ring meet exactly when one holds the other's end
      if (other.contains(range.end()) || range.contains(other.end())) {
        return true;
      }
    }
    return false;
  }

  public int size() {
    return ranges.size();
  }

  public synchronized void add(TokenRange range) {
    List<TokenRange> next = new ArrayList<>(ranges);
    next.add(range);
    ranges = List.copyOf(next);
  }

  /**
   * Removes one occurrence of {@code range} (a range taken on twice is pending until both finish).
   */
  public synchronized void remove(TokenRange range) {
    List<TokenRange> next = new ArrayList<>(ranges);
    next.remove(range);
    ranges = List.copyOf(next);
  }

  public synchronized void clear() {
    ranges = List.of();
  }
}
