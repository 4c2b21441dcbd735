package kv.node.storage;

import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import kv.common.Key;
import kv.node.ring.TokenRange;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Where a node keeps the records of the keys it replicates. A record is a value or a tombstone with
 * its version; the engine keeps only the newest record per key. Implementations are thread-safe,
 * and {@link #apply} is atomic per key.
 */
public interface StorageEngine extends AutoCloseable {
  Optional<Versioned> get(Key key);

  /**
   * Stores {@code record} unless the engine already holds a record with the same or a newer
   * version; returns whether it stored it. Replaying a write is therefore harmless.
   */
  boolean apply(Key key, Versioned record);

  /** Visits every record whose key token lies in {@code range}, in token order. */
  void scan(TokenRange range, BiConsumer<Key, Versioned> visitor);

  /**
   * Visits the records of {@code range} in token order as {@link #scan} does, and stops as soon as
   * {@code visitor} returns false (a bounded page of a range, or a test for emptiness).
   */
  void scanWhile(TokenRange range, BiPredicate<Key, Versioned> visitor);

  /** Whether {@code range} holds no record: one seek. */
  default boolean isEmpty(TokenRange range) {
    boolean[] empty = {true};
    scanWhile(range, (key, record) -> empty[0] = false);
    return empty[0];
  }

  /** Removes the key's record if it is still the one with {@code version}; returns whether. */
  boolean remove(Key key, Version version);

  /** Number of records, tombstones included (an estimate when {@link #sizeIsExact} is false). */
  long size();

  /** Whether {@link #size} counts, rather than estimates. */
  default boolean sizeIsExact() {
    return true;
  }

  @Override
  void close();
}
