package kv.node.version;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hybrid logical clock (Kulkarni et al., 2014) packed in one long: wall-clock milliseconds in
 * the high 48 bits, a counter in the low 16. Timestamps this node issues strictly increase, never
 * fall behind any timestamp it has observed from a peer, and stay close to real time, so "newest
 * write wins" matches what clients saw even when node clocks drift a little.
 */
public final class HybridClock {
  private static final int LOGICAL_BITS = 16;

  private final Clock clock;
  private final AtomicLong last = new AtomicLong();

  public HybridClock(Clock clock) {
    this.clock = clock;
  }

  /** A timestamp greater than every one issued or observed before. */
  public long next() {
    long physical = clock.millis() << LOGICAL_BITS;
    return last.updateAndGet(previous -> Math.max(previous + 1, physical));
  }

  /** Moves the clock past a timestamp seen in a peer's write. */
  public void observe(long timestamp) {
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
