package kv.common.http;

import java.time.Duration;

/**
 * How a service's HTTP server protects itself: at most {@code maxInFlight} client requests at
 * once (more are refused with 503 {@code overloaded} at once instead of queueing), connections
 * silent for {@code idleTimeout} are closed, a request's line and headers must arrive within
 * {@code headerTimeout} of its first byte (slowloris), and a stop waits up to {@code stopTimeout}
 * for requests in flight.
 */
public record HttpLimits(
    int maxInFlight, Duration idleTimeout, Duration headerTimeout, Duration stopTimeout) {
  /** Request line plus headers; more is answered 431 with a JSON error body. */
  public static final int MAX_HEADER_BYTES = 8 * 1024;

  public HttpLimits {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight < 1: " + maxInFlight);
    }
    requirePositive(idleTimeout, "idleTimeout");
    requirePositive(headerTimeout, "headerTimeout");
    requirePositive(stopTimeout, "stopTimeout");
  }

  public static HttpLimits defaults() {
    return new HttpLimits(256, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5));
  }

  public HttpLimits withMaxInFlight(int max) {
    return new HttpLimits(max, idleTimeout, headerTimeout, stopTimeout);
  }

  public HttpLimits withIdleTimeout(Duration timeout) {
    return new HttpLimits(maxInFlight, timeout, headerTimeout, stopTimeout);
  }

  public HttpLimits withHeaderTimeout(Duration timeout) {
    return new HttpLimits(maxInFlight, idleTimeout, timeout, stopTimeout);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
