package kv.node.version;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's clock measured against the cluster's, as CockroachDB bounds its clock offset. Every
 * short exchange with the seed (register, heartbeat, a catch-up read) and with a peer (every
 * node-to-node call) gives a sample, NTP-style: the other side stamps its clock on the answer, and
 * the offset is its time minus the midpoint of the round trip, give or take half the round trip. A
 * source is <em>out of bounds</em> when its latest sample puts it surely more than {@code
 * MAX_CLOCK_OFFSET} away (the offset beyond the bound even after the error is taken off). This node
 * is <em>skewed</em> when more than half of the sources heard from within {@link #FRESH} are out of
 * bounds: a node whose own clock is off finds everyone out of bounds, while one bad peer, or a bad
 * seed, is out of bounds only for the rest and stops nobody. A skewed node refuses to coordinate
 * writes (the versions it would give them would lose to older writes, or bury newer ones), says so
 * on {@code /health}, and logs it at ERROR, until its clock is back.
 *
 * <p>A clock that jumps while the node runs is caught at once, before any exchange measures it: the
 * wall clock is compared with the monotonic clock since the last sample, and when the two have
 * moved apart by more than the bound the node counts as skewed until a new sample says how its
 * clock now stands; the samples from before the jump are dropped then, and so is any exchange that
 * began before the jump was seen. Otherwise a write versioned in the moment after a jump ahead
 * would leave a record from the future on this node's own replica, beating every later write to the
 * key.
 *
 * <p>Thread-safe: samples arrive on OkHttp's threads; the verdict is recomputed on each and read
 * through one volatile field.
 */
public final class ClockOffsets {
  private static final Logger log = LoggerFactory.getLogger(ClockOffsets.class);

  /** How long a source's last sample counts. */
  static final Duration FRESH = Duration.ofSeconds(30);

  /** While skewed, the ERROR line repeats this often. */
  static final Duration REMIND = Duration.ofMinutes(1);

  private final Clock clock;
  private final LongSupplier monotonicNanos;
  private final long maxOffsetMillis;
  private volatile Mark lastSample; // the clocks when the last sample came, null before any
  private boolean remeasuring; // guarded by this: a jump was seen, no sample kept since
  private long remeasuringSince; // guarded by this: this node's clock when the jump was seen
  private final Map<String, Sample> latest = new ConcurrentHashMap<>();
  private volatile Verdict verdict = Verdict.NONE;
  private long remindedAtMillis; // guarded by this

  /** One measurement of a source's clock against this node's. */
  record Sample(long offsetMillis, long errorMillis, long atMillis) {
    boolean outOfBounds(long maxOffsetMillis) {
      return Math.abs(offsetMillis) - errorMillis > maxOffsetMillis;
    }
  }

  /**
   * What the samples say: how many fresh sources, how many out of bounds, the median offset (theirs
   * minus ours, so positive when this node is behind) and whether this node is skewed.
   */
  public record Verdict(int sources, int outOfBounds, long medianOffsetMillis, boolean skewed) {
    static final Verdict NONE = new Verdict(0, 0, 0, false);
  }

  /** Both clocks at one moment: the wall clock's millis and the monotonic clock's nanos. */
  private record Mark(long wallMillis, long monotonicNanos) {}

  /**
   * {@code monotonicNanos} is a clock that never jumps ({@code System::nanoTime}); the wall clock
   * is checked against it.
   */
  public ClockOffsets(
      Clock clock, LongSupplier monotonicNanos, Duration maxOffset, MeterRegistry metrics) {
    this.clock = clock;
    this.monotonicNanos = monotonicNanos;
    this.maxOffsetMillis = maxOffset.toMillis();
    Gauge.builder("kv.clock.offset", this, o -> o.verdict.medianOffsetMillis() / 1000.0)
        .description("Median offset of the cluster's clocks from this node's (theirs - ours)")
        .baseUnit("seconds")
        .register(metrics);
    Gauge.builder("kv.clock.skewed", this, o -> o.isSkewed() ? 1 : 0)
        .description("1 while this node's clock is off by more than MAX_CLOCK_OFFSET")
        .register(metrics);
  }

  /**
   * A sample from {@code source}: this node sent at {@code sentAt} and heard back at {@code
   * receivedAt} (its clock), and the other side's clock said {@code theirTime} (epoch millis).
   */
  public void sample(String source, long sentAt, long receivedAt, long theirTime) {
    if (receivedAt < sentAt) {
      return; // this node's clock stepped back during the call: the sample means nothing
    }
    synchronized (this) {
      if (!remeasuring && jumpMillis() > maxOffsetMillis) {
        // The samples before the jump measured a clock that is gone: left in, they would outvote
        // the first ones after it, and the node would coordinate writes with its jumped clock.
        latest.clear();
        remeasuringSince = clock.millis();
        remeasuring = true;
      }
      if (remeasuring && sentAt < remeasuringSince) {
        return; // sent before the jump was seen: the exchange may straddle it
      }
      remeasuring = false;
    }
    long midpoint = sentAt + (receivedAt - sentAt) / 2;
    latest.put(source, new Sample(theirTime - midpoint, (receivedAt - sentAt + 1) / 2, receivedAt));
    lastSample = new Mark(clock.millis(), monotonicNanos.getAsLong());
    judge();
  }

  /** The verdict now; samples older than {@link #FRESH} no longer count. */
  public Verdict verdict() {
    return verdict;
  }

  /** Skewed by the samples, or the wall clock jumped since the last one. */
  public boolean isSkewed() {
    return verdict.skewed() || jumpMillis() > maxOffsetMillis;
  }

  /**
   * How far the wall clock has moved apart from the monotonic clock since the last sample (0 before
   * any): beyond the bound, the clock jumped and the samples no longer say where it stands.
   */
  public long jumpMillis() {
    Mark mark = lastSample;
    if (mark == null) {
      return 0;
    }
    long wall = clock.millis() - mark.wallMillis();
    long monotonic = (monotonicNanos.getAsLong() - mark.monotonicNanos()) / 1_000_000;
    return Math.abs(wall - monotonic);
  }

  public long maxOffsetMillis() {
    return maxOffsetMillis;
  }

  /** Recomputes the verdict (samples age even when none arrive); the membership task calls it. */
  public void judge() {
    long now = clock.millis();
    List<Long> offsets = new ArrayList<>();
    int outOfBounds = 0;
    for (Sample sample : latest.values()) {
      long age = now - sample.atMillis(); // negative: taken before this clock stepped back
      if (age >= 0 && age <= FRESH.toMillis()) {
        offsets.add(sample.offsetMillis());
        outOfBounds += sample.outOfBounds(maxOffsetMillis) ? 1 : 0;
      }
    }
    offsets.sort(null);
    Verdict next =
        new Verdict(
            offsets.size(),
            outOfBounds,
            offsets.isEmpty() ? 0 : offsets.get(offsets.size() / 2),
            2 * outOfBounds > offsets.size());
    Verdict before = verdict;
    verdict = next;
    report(before, next, now);
  }

  private synchronized void report(Verdict before, Verdict now, long nowMillis) {
    if (now.skewed() && (!before.skewed() || nowMillis - remindedAtMillis >= REMIND.toMillis())) {
      remindedAtMillis = nowMillis;
      log.error(
          "This node's clock is about {} ms {} the cluster's ({} of {} sources beyond "
              + "MAX_CLOCK_OFFSET, {} ms): it refuses to coordinate writes until its clock is back;"
              + " fix its time (NTP)",
          Math.abs(now.medianOffsetMillis()),
          now.medianOffsetMillis() < 0 ? "ahead of" : "behind",
          now.outOfBounds(),
          now.sources(),
          maxOffsetMillis);
    } else if (before.skewed() && !now.skewed()) {
      log.info(
          "This node's clock is back within MAX_CLOCK_OFFSET ({} ms) of the cluster's: "
              + "coordinating writes again",
          maxOffsetMillis);
    }
  }
}
