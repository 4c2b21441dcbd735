package kv.node.version;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import kv.common.error.KvException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one check every record from outside passes before this node keeps it, however it came: a
 * peer's replica write or hint (batch or {@code /internal/kv}), records pushed to {@code
 * /internal/records} or fetched from a peer by rebalancing and anti-entropy, a read repair of this
 * node's own replica. The version's timestamp is observed by the {@link HybridClock}; one more than
 * {@code MAX_CLOCK_OFFSET} ahead of this node's clock is refused with {@code 503 clock_skew}: the
 * clock stays where it was and the caller stores nothing. Refusals are counted in {@code
 * kv_records_refused_total{reason="clock_skew",via=...}} and logged at WARN naming the sender, at
 * most one line per {@link #LOG_INTERVAL} (with the number left out since), so a flood of forged
 * records cannot fill the disk.
 */
public final class ClockBound {
  private static final Logger log = LoggerFactory.getLogger(ClockBound.class);

  /** The shortest time between two WARN lines about refused records. */
  static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

  /** How a record reached this node: the metric's {@code via} tag. */
  public enum Via {
    /** A replica write from a coordinator ({@code /internal/batch} or {@code /internal/kv}). */
    WRITE,
    /** A hinted write: kept here for another replica. */
    HINT,
    /** Records a peer pushed ({@code /internal/records}). */
    PUSH,
    /** Records this node fetched from a peer ({@code /internal/range}). */
    FETCH,
    /** A coordinator's write to its own replica: a read repair with another replica's record. */
    LOCAL;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final HybridClock clock;
  private final Clock wall;
  private final Map<Via, Counter> refused = new EnumMap<>(Via.class);
  private final AtomicLong nextLogMillis = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong unlogged = new AtomicLong();

  public ClockBound(HybridClock clock, Clock wall, MeterRegistry registry) {
    this.clock = clock;
    this.wall = wall;
    for (Via via : Via.values()) {
      refused.put(
          via,
          Counter.builder("kv.records.refused")
              .description("Records from outside refused, by reason and by how they came")
              .tag("reason", "clock_skew")
              .tag("via", via.tag())
              .register(registry));
    }
  }

  /**
   * Observes {@code version}'s timestamp, or refuses the record: throws {@code CLOCK_SKEW}, counted
   * and logged, when it is more than {@code MAX_CLOCK_OFFSET} ahead of this node's clock. {@code
   * sender} names where the record came from, for the log.
   */
  public void admit(Version version, Via via, String sender) {
    try {
      clock.observe(version.timestamp());
    } catch (KvException e) {
      refused.get(via).increment();
      warn(version, via, sender, e);
      throw e;
    }
  }

  private void warn(Version version, Via via, String sender, KvException e) {
    long now = wall.millis();
    long next = nextLogMillis.get();
    if (now < next || !nextLogMillis.compareAndSet(next, now + LOG_INTERVAL.toMillis())) {
      unlogged.incrementAndGet();
      return;
    }
    long since = unlogged.getAndSet(0);
    log.warn(
        "Refused a record ({}) from {}: version {}: {}{}",
        via.tag(),
        sender,
        version,
        e.getMessage(),
        since == 0
            ? ""
            : "; "
                + since
                + " more refused since the last such line (logged at most every "
                + LOG_INTERVAL.toSeconds()
                + " s)");
  }
}
