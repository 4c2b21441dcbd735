package kv.node.harness;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * One node's clock in a {@link TestCluster}: the cluster's shared clock plus this node's own
 * offset, which a test may change at any time ({@link TestCluster#skew}). Advancing the shared
 * clock advances every node's clock together.
 */
final class SkewedClock extends Clock {
  private final Clock shared;
  private volatile Duration offset = Duration.ZERO;

  SkewedClock(Clock shared) {
    this.shared = shared;
  }

  void offset(Duration offset) {
    this.offset = offset;
  }

  Duration offset() {
    return offset;
  }

  @Override
  public Instant instant() {
    return shared.instant().plus(offset);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("tests use UTC");
  }
}
