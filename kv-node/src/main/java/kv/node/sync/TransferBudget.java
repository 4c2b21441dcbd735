package kv.node.sync;

import java.time.Clock;

/**
 * A token bucket of records per second shared by everything that moves ranges between replicas
 * (rebalancing and anti-entropy), so that repair traffic never crowds out client requests. It holds
 * at most one second's worth; work checks {@link #available()} before each transfer and {@link
 * #spend}s what it moved, so one transfer may overdraw it, and the next waits longer.
 */
public final class TransferBudget {
  private final Clock clock;
  private final long perSecond;
  private long lastRefillMillis;
  private double tokens;

  public TransferBudget(Clock clock, long perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("perSecond < 1: " + perSecond);
    }
    this.clock = clock;
    this.perSecond = perSecond;
    this.lastRefillMillis = clock.millis();
    this.tokens = perSecond;
  }

  public synchronized boolean available() {
    refill();
    return tokens > 0;
  }

  public synchronized void spend(long records) {
    refill();
    tokens -= records;
  }

  private void refill() {
    long now = clock.millis();
    if (now > lastRefillMillis) {
      tokens = Math.min(perSecond, tokens + (now - lastRefillMillis) * perSecond / 1000.0);
      lastRefillMillis = now;
    }
  }
}
