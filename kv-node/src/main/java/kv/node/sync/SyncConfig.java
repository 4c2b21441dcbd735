package kv.node.sync;

import java.time.Duration;

/**
 * How often anti-entropy starts a round ({@code ANTI_ENTROPY_INTERVAL}) and how many records per
 * second rebalancing and anti-entropy may move together ({@code STREAM_RATE}).
 */
public record SyncConfig(Duration antiEntropyInterval, int streamRate) {
  public SyncConfig {
    if (antiEntropyInterval.isNegative() || antiEntropyInterval.isZero()) {
      throw new IllegalArgumentException("ANTI_ENTROPY_INTERVAL must be positive");
    }
    if (streamRate < 1) {
      throw new IllegalArgumentException("STREAM_RATE must be at least 1");
    }
  }

  public static SyncConfig defaults() {
    return new SyncConfig(Duration.ofMinutes(1), 10_000);
  }
}
