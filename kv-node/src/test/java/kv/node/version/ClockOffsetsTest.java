package kv.node.version;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import kv.common.MutableClock;
import org.junit.jupiter.api.Test;

class ClockOffsetsTest {
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private final AtomicLong monotonic = new AtomicLong(); // nanos; advanced with the clock below
  private final ClockOffsets offsets =
      new ClockOffsets(
          clock,
          () -> monotonic.get() + clock.millis() * 1_000_000,
          Duration.ofMillis(500),
          metrics);

  @Test
  void sourcesWithinTheBoundLeaveTheNodeUnskewed() {
    long now = clock.millis();
    offsets.sample("seed", now - 10, now, now + 300); // 305 ms behind them, give or take 5
    offsets.sample("10.0.0.2:8080", now - 2, now, now - 450);

    assertThat(offsets.verdict()).isEqualTo(new ClockOffsets.Verdict(2, 0, 305, false));
    assertThat(offsets.isSkewed()).isFalse();
  }

  @Test
  void aNodeThatEverySourceFindsBeyondTheBoundIsSkewedAndComesBackWhenItsClockDoes() {
    long now = clock.millis();
    for (String source : new String[] {"seed", "a:1", "b:1"}) {
      offsets.sample(source, now - 2, now, now - 30_000); // this node is 30 s ahead
    }
    assertThat(offsets.isSkewed()).isTrue();
    assertThat(offsets.verdict().medianOffsetMillis()).isEqualTo(-29_999);
    assertThat(metrics.get("kv.clock.skewed").gauge().value()).isEqualTo(1);

    for (String source : new String[] {"seed", "a:1"}) {
      offsets.sample(source, now - 2, now, now - 1); // its clock was set right
    }
    assertThat(offsets.isSkewed()).isFalse(); // one of three sources left beyond the bound
    assertThat(metrics.get("kv.clock.skewed").gauge().value()).isZero();
  }

  @Test
  void oneBadSourceAmongSeveralStopsNobody() {
    long now = clock.millis();
    offsets.sample("seed", now, now, now - 60_000); // the seed's clock is a minute behind
    offsets.sample("a:1", now, now, now + 3);
    offsets.sample("b:1", now, now, now - 7);

    assertThat(offsets.verdict().outOfBounds()).isEqualTo(1);
    assertThat(offsets.isSkewed()).isFalse();
  }

  @Test
  void aSlowRoundTripIsNotEvidence() {
    long now = clock.millis();
    offsets.sample("seed", now - 4_000, now, now - 1_000); // 1 s off, but give or take 2 s
    assertThat(offsets.verdict().outOfBounds()).isZero();
    assertThat(offsets.isSkewed()).isFalse();
  }

  @Test
  void samplesOlderThanThirtySecondsNoLongerCount() {
    long now = clock.millis();
    offsets.sample("seed", now, now, now - 30_000);
    assertThat(offsets.isSkewed()).isTrue();

    clock.advance(ClockOffsets.FRESH.plusMillis(1));
    offsets.judge();

    assertThat(offsets.isSkewed()).isFalse();
    assertThat(offsets.verdict().sources()).isZero();
  }

  @Test
  void aWallClockThatJumpsAgainstTheMonotonicOneCountsAsSkewedUntilMeasuredAgain() {
    long now = clock.millis();
    offsets.sample("seed", now - 2, now, now);
    clock.advance(Duration.ofSeconds(10)); // both clocks move together: no jump
    assertThat(offsets.isSkewed()).isFalse();

    monotonic.addAndGet(-Duration.ofSeconds(30).toNanos()); // the wall clock alone jumps 30 s
    assertThat(offsets.jumpMillis()).isEqualTo(30_000);
    assertThat(offsets.isSkewed()).isTrue();
    assertThat(offsets.verdict().skewed()).isFalse(); // the samples alone do not know yet

    now = clock.millis();
    offsets.sample("seed", now - 2, now, now - 30_000); // sent before the jump was seen: dropped
    assertThat(offsets.jumpMillis()).isEqualTo(30_000);
    assertThat(offsets.isSkewed()).isTrue();
    offsets.sample("seed", now, now, now - 30_000); // measured: now it knows how it stands
    assertThat(offsets.jumpMillis()).isZero();
    assertThat(offsets.isSkewed()).isTrue();
    offsets.sample("seed", now, now, now); // the clock was right after all (NTP stepped it)
    assertThat(offsets.isSkewed()).isFalse();
  }

  @Test
  void afterAJumpTheSamplesFromBeforeItNoLongerOutvoteTheNewOnes() {
    long now = clock.millis();
    for (String source : new String[] {"seed", "a:1", "b:1", "c:1"}) {
      offsets.sample(source, now - 2, now, now); // all agree
    }
    monotonic.addAndGet(-Duration.ofSeconds(20).toNanos()); // the wall clock alone jumps 20 s

    now = clock.millis();
    offsets.sample("a:1", now - 2, now, now - 20_000); // in flight across the jump: dropped
    offsets.sample("b:1", now, now, now - 20_000);

    // one fresh source, beyond the bound; the three that agreed measured the clock before it jumped
    assertThat(offsets.verdict()).isEqualTo(new ClockOffsets.Verdict(1, 1, -20_000, true));
    assertThat(offsets.isSkewed()).isTrue();
  }

  @Test
  void aRoundTripDuringWhichTheClockSteppedBackIsIgnored() {
    long now = clock.millis();
    offsets.sample("seed", now, now - 100, now - 60_000);
    assertThat(offsets.verdict().sources()).isZero();
  }
}
