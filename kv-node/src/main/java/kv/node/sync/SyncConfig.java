package kv.node.sync;

import java.time.Duration;

/**
 * How often anti-entropy starts a round ({@code ANTI_ENTROPY_INTERVAL}), how many records per
 * second rebalancing and anti-entropy may move together ({@code STREAM_RATE}), how long a range
 * this node handed off stays here after its new replicas joined ({@code HANDOFF_SETTLE}), and the
 * share of the token space a node drops per settling period at most ({@code MAX_REBALANCE_SHARE}).
 */
public record SyncConfig(
    Duration antiEntropyInterval,
    int streamRate,
    Duration handoffSettle,
    double maxRebalanceShare) {
  public SyncConfig {
    if (antiEntropyInterval.isNegative() || antiEntropyInterval.isZero()) {
      throw new IllegalArgumentException("ANTI_ENTROPY_INTERVAL must be positive");
    }
    if (streamRate < 1) {
      throw new IllegalArgumentException("STREAM_RATE must be at least 1");
    }
    if (handoffSettle.isNegative()) {
      throw new IllegalArgumentException("HANDOFF_SETTLE must not be negative");
    }
    if (!(maxRebalanceShare > 0 && maxRebalanceShare <= 1)) { // NaN fails too
      throw new IllegalArgumentException(
          "MAX_REBALANCE_SHARE must be above 0 and at most 1: " + maxRebalanceShare);
    }
  }

  /**
   * One anti-entropy round a minute, 10,000 records a second, and a handed-off range kept for 5
   * minutes after its new replicas joined, a quarter of the ring dropped at most per 5 minutes.
   */
  public static SyncConfig defaults() {
    return new SyncConfig(Duration.ofMinutes(1), 10_000, Duration.ofMinutes(5), 0.25);
  }

  public SyncConfig withStreamRate(int recordsPerSecond) {
    return new SyncConfig(antiEntropyInterval, recordsPerSecond, handoffSettle, maxRebalanceShare);
  }

  public SyncConfig withHandoffSettle(Duration settle) {
    return new SyncConfig(antiEntropyInterval, streamRate, settle, maxRebalanceShare);
  }

  public SyncConfig withMaxRebalanceShare(double share) {
    return new SyncConfig(antiEntropyInterval, streamRate, handoffSettle, share);
  }
}
