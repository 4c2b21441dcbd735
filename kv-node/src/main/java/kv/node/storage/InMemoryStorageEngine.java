package kv.node.storage;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import kv.common.Key;
import kv.node.ring.TokenRange;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * A sorted heap map (keys in token order, for range scans): the default when a node runs without a
 * data directory. Lost on restart.
 */
public final class InMemoryStorageEngine implements StorageEngine {
  private final ConcurrentNavigableMap<Key, Versioned> records = new ConcurrentSkipListMap<>();

  @Override
  public Optional<Versioned> get(Key key) {
    return Optional.ofNullable(records.get(key));
  }

  @Override
  public boolean apply(Key key, Versioned record) {
    boolean[] stored = new boolean[1];
    records.compute(
        key,
        (k, current) -> {
          // may run more than once under contention; the last run's decision is the one kept
          stored[0] = current == null || record.version().isNewerThan(current.version());
          return stored[0] ? record : current;
        });
    return stored[0];
  }

  @Override
  public void scan(TokenRange range, BiConsumer<Key, Versioned> visitor) {
    if (range.start() == range.end()) {
      records.forEach(visitor);
    } else if (range.wraps()) {
      if (range.start() != Long.MAX_VALUE) {
        between(range.start() + 1, Long.MAX_VALUE).forEach(visitor);
      }
      between(Long.MIN_VALUE, range.end()).forEach(visitor);
    } else {
      between(range.start() + 1, range.end()).forEach(visitor);
    }
  }

  @Override
  public void scanWhile(TokenRange range, BiPredicate<Key, Versioned> visitor) {
    if (range.start() == range.end()) {
      visitWhile(records, visitor);
    } else if (range.wraps()) {
      boolean more =
          range.start() == Long.MAX_VALUE
              || visitWhile(between(range.start() + 1, Long.MAX_VALUE), visitor);
      if (more) {
        visitWhile(between(Long.MIN_VALUE, range.end()), visitor);
      }
    } else {
      visitWhile(between(range.start() + 1, range.end()), visitor);
    }
  }

  /** Visits {@code map} in order until {@code visitor} says stop; returns whether it never did. */
  private static boolean visitWhile(Map<Key, Versioned> map, BiPredicate<Key, Versioned> visitor) {
    for (Map.Entry<Key, Versioned> entry : map.entrySet()) {
      if (!visitor.test(entry.getKey(), entry.getValue())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean remove(Key key, Version version) {
    Versioned stored = records.get(key);
    return stored != null && stored.version().equals(version) && records.remove(key, stored);
  }

  @Override
  public long size() {
    return records.size();
  }

  @Override
  public void close() {
    records.clear();
  }

  /** Records with tokens in [from, to], both inclusive. */
  private Map<Key, Versioned> between(long from, long to) {
    Key lower = Key.firstAt(from);
    return to == Long.MAX_VALUE
        ? records.tailMap(lower, true)
        : records.subMap(lower, true, Key.firstAt(to + 1), false);
  }
}
