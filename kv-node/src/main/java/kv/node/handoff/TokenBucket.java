package kv.node.handoff;

import java.time.Clock;

/**
 * A rate limit on the injected clock: holds up to one second's worth of permits and refills at
 * {@code perSecond}. Starts full. Not thread-safe: its one user calls it from one thread at a time.
 */
final class TokenBucket {
  private final int perSecond;
  private final Clock clock;
  private double available;
  private long refilledAt;

  TokenBucket(int perSecond, Clock clock) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("perSecond < 1: " + perSecond);
    }
    this.perSecond = perSecond;
    this.clock = clock;
    this.available = perSecond;
    this.refilledAt = clock.millis();
  }

  /** Takes up to {@code wanted} permits; returns how many it got (0 when empty). */
  int take(int wanted) {
    refill();
    int granted = (int) Math.min(wanted, Math.floor(available));
    available -= granted;
    return granted;
  }

  /** Returns permits taken but not used. */
  void giveBack(int unused) {
    available = Math.min(perSecond, available + unused);
  }

  private void refill() {
    long now = clock.millis();
    if (now > refilledAt) {
      available = Math.min(perSecond, available + (now - refilledAt) * perSecond / 1000.0);
      refilledAt = now;
    }
  }
}
