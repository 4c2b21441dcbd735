package kv.node.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kv.common.Key;
import kv.node.ring.TokenRange;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes tombstones older than the grace period, and only those no current replica still needs:
 * {@link Replicas#mayForget} asks the key's other replicas and says no while any of them holds an
 * older live value (it is sent the tombstone meanwhile) or cannot be asked. A tombstone is kept
 * until then, since forgetting it would let that value come back through repair.
 */
public final class TombstonePurger {
  private static final Logger log = LoggerFactory.getLogger(TombstonePurger.class);

  private final StorageEngine storage;
  private final Clock clock;
  private final Duration grace;
  private final Replicas replicas;

  /** The key's other replicas, as far as forgetting one of its tombstones is concerned. */
  @FunctionalInterface
  public interface Replicas {
    /**
     * Whether no other current replica of {@code key} holds a live value older than {@code
     * tombstone}; false as well when one cannot be asked.
     */
    boolean mayForget(Key key, Versioned tombstone);
  }

  public TombstonePurger(StorageEngine storage, Clock clock, Duration grace, Replicas replicas) {
    this.storage = storage;
    this.clock = clock;
    this.grace = grace;
    this.replicas = replicas;
  }

  /** One pass over the store; returns how many tombstones it removed. */
  public int purge() {
    long cutoff = clock.millis() - grace.toMillis();
    List<Map.Entry<Key, Versioned>> expired = new ArrayList<>();
    storage.scan(
        TokenRange.fullRing(),
        (key, record) -> {
          if (record.isTombstone() && record.version().physicalMillis() < cutoff) {
            expired.add(Map.entry(key, record));
          }
        });
    int removed = 0;
    for (Map.Entry<Key, Versioned> entry : expired) {
      if (replicas.mayForget(entry.getKey(), entry.getValue())
          && storage.remove(entry.getKey(), entry.getValue().version())) {
        removed++;
      }
    }
    if (!expired.isEmpty()) {
      log.info(
          "Purged {} of {} tombstone(s) older than {}; the rest are still needed by a replica",
          removed,
          expired.size(),
          grace);
    }
    return removed;
  }
}
