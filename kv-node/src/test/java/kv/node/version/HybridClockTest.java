package kv.node.version;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import kv.common.MutableClock;
import org.junit.jupiter.api.Test;

class HybridClockTest {
  private final MutableClock wall = MutableClock.atEpoch2030();
  private final HybridClock clock = new HybridClock(wall);

  @Test
  void timestampsStrictlyIncreaseWhileTheWallClockStandsStill() {
    long a = clock.next();
    long b = clock.next();
    assertThat(b).isGreaterThan(a);
    assertThat(HybridClock.physicalMillis(b)).isEqualTo(wall.millis());
  }

  @Test
  void followsTheWallClockAndNeverGoesBackAfterObservingAPeer() {
    long peer = HybridClock.atMillis(wall.millis() + 60_000); // a peer a minute ahead
    clock.observe(peer);
    assertThat(clock.next()).isGreaterThan(peer);
    wall.advance(Duration.ofMinutes(2));
    assertThat(HybridClock.physicalMillis(clock.next())).isEqualTo(wall.millis());
  }

  @Test
  void versionsOrderByTimestampThenNodeAndRoundTripAsText() {
    Version v = new Version(clock.next(), kv.common.NodeId.of("node-1"));
    assertThat(Version.parse(v.toString())).isEqualTo(v);
    assertThat(new Version(5, kv.common.NodeId.of("b")).isNewerThan(new Version(5, kv.common.NodeId.of("a")))).isTrue();
    assertThat(new Version(4, kv.common.NodeId.of("z")).isNewerThan(new Version(5, kv.common.NodeId.of("a")))).isFalse();
  }
}
