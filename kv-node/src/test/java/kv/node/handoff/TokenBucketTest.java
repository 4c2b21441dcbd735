package kv.node.handoff;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import kv.common.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TokenBucketTest {
  private final MutableClock clock = MutableClock.atEpoch2030();

  @Test
  void startsFullHoldsAtMostOneSecondAndRefillsWithTime() {
    TokenBucket bucket = new TokenBucket(100, clock);
    assertThat(bucket.take(70)).isEqualTo(70);
    assertThat(bucket.take(70)).isEqualTo(30);
    assertThat(bucket.take(1)).isZero();

    clock.advance(Duration.ofMillis(250));
    assertThat(bucket.take(100)).isEqualTo(25);

    clock.advance(Duration.ofMinutes(1));
    assertThat(bucket.take(1_000)).as("capped at one second's worth").isEqualTo(100);
  }

  @Test
  void unusedPermitsGoBackButNeverAboveCapacity() {
    TokenBucket bucket = new TokenBucket(10, clock);
    assertThat(bucket.take(8)).isEqualTo(8);
    bucket.giveBack(5);
    assertThat(bucket.take(10)).isEqualTo(7);
    bucket.giveBack(50);
    assertThat(bucket.take(50)).isEqualTo(10);
  }
}
