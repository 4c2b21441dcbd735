package kv.node.version;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * A hybrid logical clock (Kulkarni et al., 2014) packed in one long: wall-clock milliseconds in the
 * high 48 bits, a counter in the low 16. Timestamps this node issues strictly increase, never fall
 * behind any timestamp it has observed from a peer, and stay close to real time, so "newest write
 * wins" matches what clients saw even when node clocks drift a little. A timestamp from outside is
 * observed only if its physical part is at most {@code maxOffset} ({@code MAX_CLOCK_OFFSET}) ahead
 * of this node's wall clock, as in CockroachDB: one bad peer or one forged record cannot drag the
 * clock (and every version issued after) into the future.
 */
public final class HybridClock {
  private static final int LOGICAL_BITS = 16;

  private final Clock clock;
  private final Duration maxOffset;
  private final AtomicLong last = new AtomicLong();

  public HybridClock(Clock clock, Duration maxOffset) {
    if (maxOffset == null || maxOffset.isNegative() || maxOffset.isZero()) {
      throw new IllegalArgumentException("max clock offset must be positive: " + maxOffset);
    }
    this.clock = clock;
    this.maxOffset = maxOffset;
  }

  /** A timestamp greater than every one issued or observed before. */
  public long next() {
    long physical = clock.millis() << LOGICAL_BITS;
    return last.updateAndGet(previous -> Math.max(previous + 1, physical));
  }

  /**
   * Moves the clock past a timestamp seen in a peer's record; throws {@code CLOCK_SKEW}, leaving
   * the clock as it was, when the timestamp is more than the maximum offset ahead of this node's
   * wall clock.
   */
  public void observe(long timestamp) {
    long ahead = physicalMillis(timestamp) - clock.millis();
    if (ahead > maxOffset.toMillis()) {
      throw new KvException(
          ErrorCode.CLOCK_SKEW,
          "timestamp "
              + timestamp
              + " is "
              + ahead
              + " ms ahead of this node's clock, more than MAX_CLOCK_OFFSET ("
              + maxOffset.toMillis()
              + " ms) allows");
    }
    last.accumulateAndGet(timestamp, Math::max);
  }

  static long physicalMillis(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }

  /** The smallest timestamp made at or after {@code millis}. */
  public static long atMillis(long millis) {
    return millis << LOGICAL_BITS;
  }
}
