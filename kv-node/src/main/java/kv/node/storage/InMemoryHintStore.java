package kv.node.storage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;

/**
 * Hints in sorted heap maps, one per target, for nodes without a data directory: lost on restart.
 */
public final class InMemoryHintStore implements HintStore {
  private final Map<NodeId, NavigableMap<Slot, Hint>> byTarget = new TreeMap<>(); // guarded by this
  private long nextSequence; // guarded by this
  private long pending; // guarded by this

  /** Where a hint sits in its target's queue. */
  private record Slot(long createdAtMillis, long sequence) {
    static final Comparator<Slot> ORDER =
        Comparator.comparingLong(Slot::createdAtMillis).thenComparingLong(Slot::sequence);

    static Slot of(Hint hint) {
      return new Slot(hint.createdAtMillis(), hint.sequence());
    }
  }

  @Override
  public synchronized Hint add(NodeId target, Key key, Versioned record, long createdAtMillis) {
    Hint hint = new Hint(target, key, record, createdAtMillis, nextSequence++);
    byTarget.computeIfAbsent(target, t -> new TreeMap<>(Slot.ORDER)).put(Slot.of(hint), hint);
    pending++;
    return hint;
  }

  @Override
  public synchronized List<Hint> batch(NodeId target, int max) {
    NavigableMap<Slot, Hint> hints = byTarget.get(target);
    if (hints == null) {
      return List.of();
    }
    List<Hint> batch = new ArrayList<>();
    Iterator<Hint> queue = hints.values().iterator();
    while (queue.hasNext() && batch.size() < max) {
      batch.add(queue.next());
    }
    return batch;
  }

  @Override
  public synchronized Set<NodeId> targets() {
    return Set.copyOf(byTarget.keySet());
  }

  @Override
  public synchronized boolean remove(Hint hint) {
    NavigableMap<Slot, Hint> queue = byTarget.get(hint.target());
    if (queue == null || queue.remove(Slot.of(hint)) == null) {
      return false;
    }
    if (queue.isEmpty()) {
      byTarget.remove(hint.target());
    }
    pending--;
    return true;
  }

  @Override
  public synchronized int expireCreatedBefore(long cutoffMillis) {
    int expired = 0;
    for (NavigableMap<Slot, Hint> queue : byTarget.values()) {
      Map<Slot, Hint> old = queue.headMap(new Slot(cutoffMillis, Long.MIN_VALUE));
      expired += old.size();
      old.clear();
    }
    byTarget.values().removeIf(Map::isEmpty);
    pending -= expired;
    return expired;
  }

  @Override
  public synchronized long pending() {
    return pending;
  }

  @Override
  public synchronized void close() {
    byTarget.clear();
    pending = 0;
  }
}
