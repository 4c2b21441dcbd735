package kv.node.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kv.common.Key;
import kv.node.version.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes tombstones older than the grace period. The grace period must outlast the time repair
 * needs to bring every replica the tombstone (read repair, and once they land hinted handoff and
 * anti-entropy); purging earlier would let a replica that missed the delete bring the value back.
 */
public final class TombstonePurger {
  private static final Logger log = LoggerFactory.getLogger(TombstonePurger.class);

  private final StorageEngine storage;
  private final Clock clock;
  private final Duration grace;

  public TombstonePurger(StorageEngine storage, Clock clock, Duration grace) {
    this.storage = storage;
    this.clock = clock;
    this.grace = grace;
  }

  /** One pass over the store; returns how many tombstones it removed. */
  public int purge() {
    long cutoff = clock.millis() - grace.toMillis();
    List<Map.Entry<Key, Version>> expired = new ArrayList<>();
    storage.scan(TokenRange.fullRing(), (key, record) -> {
      if (record.isTombstone() && record.version().physicalMillis() < cutoff) {
        expired.add(Map.entry(key, record.version()));
      }
    });
    int removed = 0;
    for (Map.Entry<Key, Version> entry : expired) {
      if (storage.remove(entry.getKey(), entry.getValue())) {
        removed++;
      }
    }
    if (removed > 0) {
      log.info("Purged {} tombstone(s) older than {}", removed, grace);
    }
    return removed;
  }
}
