package kv.node.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import kv.common.MutableClock;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import org.junit.jupiter.api.Test;

class HybridClockTest {
  private final MutableClock wall = MutableClock.atEpoch2030();
  private final HybridClock clock = new HybridClock(wall, Duration.ofMillis(500));

  @Test
  void timestampsStrictlyIncreaseWhileTheWallClockStandsStill() {
    long a = clock.next();
    long b = clock.next();
    assertThat(b).isGreaterThan(a);
    assertThat(HybridClock.physicalMillis(b)).isEqualTo(wall.millis());
  }

  @Test
  void followsTheWallClockAndNeverGoesBackAfterObservingAPeer() {
    long peer = HybridClock.atMillis(wall.millis() + 400); // a peer ahead, within the bound
    clock.observe(peer);
    assertThat(clock.next()).isGreaterThan(peer);
    wall.advance(Duration.ofMinutes(2));
    assertThat(HybridClock.physicalMillis(clock.next())).isEqualTo(wall.millis());
  }

  @Test
  void aTimestampFurtherAheadThanTheBoundIsRefusedAndLeavesTheClockAlone() {
    long before = clock.next();
    for (long forged :
        new long[] {
          Long.MAX_VALUE,
          HybridClock.atMillis(wall.millis() + 501),
          HybridClock.atMillis(wall.millis() + 3_600_000)
        }) {
      assertThatThrownBy(() -> clock.observe(forged))
          .isInstanceOfSatisfying(
              KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLOCK_SKEW))
          .hasMessageContaining("MAX_CLOCK_OFFSET (500 ms)");
    }
    assertThat(clock.next()).isEqualTo(before + 1); // as if nothing had been seen
  }

  @Test
  void aTimestampAtTheBoundIsObserved() {
    long atBound = HybridClock.atMillis(wall.millis() + 500) + 7;
    clock.observe(atBound);
    assertThat(clock.next()).isEqualTo(atBound + 1);
    wall.advance(Duration.ofMillis(600)); // what was refused a moment ago is fine now
    clock.observe(HybridClock.atMillis(wall.millis() + 400));
  }

  @Test
  void versionsOrderByTimestampThenNodeAndRoundTripAsText() {
    Version v = new Version(clock.next(), kv.common.NodeId.of("node-1"));
    assertThat(Version.parse(v.toString())).isEqualTo(v);
    assertThat(
            new Version(5, kv.common.NodeId.of("b"))
                .isNewerThan(new Version(5, kv.common.NodeId.of("a"))))
        .isTrue();
    assertThat(
            new Version(4, kv.common.NodeId.of("z"))
                .isNewerThan(new Version(5, kv.common.NodeId.of("a"))))
        .isFalse();
  }
}
