package kv.common.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of values a service holds in memory on their way through it, against a bound: request
 * bodies being read or handled ({@link BodyBuffer} asks before taking one) and, on a node, the
 * values of replica writes still on their way to a peer after the client has its answer (reserved
 * unconditionally: the body was admitted already). So a replica that falls behind holds back new
 * bodies, with {@code 503 overloaded}, instead of letting its queue grow without bound.
 */
public final class ByteBudget {
  private final long max;
  private final AtomicLong inUse = new AtomicLong();

  public ByteBudget(long max) {
    if (max < 1) {
      throw new IllegalArgumentException("max < 1: " + max);
    }
    this.max = max;
  }

  public long max() {
    return max;
  }

  /** Bytes reserved and not yet released. */
  public long inUse() {
    return inUse.get();
  }

  /**
   * Reserves {@code bytes} if they fit, or if nothing is reserved at all (so one body larger than
   * the whole budget is still admitted, alone); returns whether it did.
   */
  public boolean tryReserve(long bytes) {
    while (true) {
      long now = inUse.get();
      if (now > 0 && now + bytes > max) {
        return false;
      }
      if (inUse.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  /** Reserves {@code bytes} whether or not they fit. */
  public void reserve(long bytes) {
    inUse.addAndGet(bytes);
  }

  public void release(long bytes) {
    inUse.addAndGet(-bytes);
  }
}
