package kv.common.http;

import java.time.Duration;

/**
 * How a service's HTTP server protects itself: at most {@code maxInFlight} client requests and
 * {@code maxInternalInFlight} replica requests at once (more are refused with 503 {@code
 * overloaded} at once instead of queueing), at most {@code maxBytesInFlight} bytes of request
 * bodies being read or handled together (the same refusal), connections silent for {@code
 * idleTimeout} are closed, a request's line and headers must arrive within {@code headerTimeout} of
 * its first byte (slowloris) and its body within {@code bodyTimeout} of its headers (408), and a
 * stop waits up to {@code stopTimeout} for requests in flight.
 */
public record HttpLimits(
    int maxInFlight,
    Duration idleTimeout,
    Duration headerTimeout,
    Duration stopTimeout,
    int maxInternalInFlight,
    long maxBytesInFlight,
    Duration bodyTimeout) {
  /** Request line plus headers; more is answered 431 with a JSON error body. */
  public static final int MAX_HEADER_BYTES = 8 * 1024;

  public HttpLimits {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight < 1: " + maxInFlight);
    }
    if (maxInternalInFlight < 1) {
      throw new IllegalArgumentException("maxInternalInFlight < 1: " + maxInternalInFlight);
    }
    if (maxBytesInFlight < 1) {
      throw new IllegalArgumentException("maxBytesInFlight < 1: " + maxBytesInFlight);
    }
    requirePositive(idleTimeout, "idleTimeout");
    requirePositive(headerTimeout, "headerTimeout");
    requirePositive(stopTimeout, "stopTimeout");
    requirePositive(bodyTimeout, "bodyTimeout");
  }

  /** 256 client and 128 replica requests, 32 MiB of bodies, 30 s idle, 10 s headers, 10 s body. */
  public static HttpLimits defaults() {
    return new HttpLimits(
        256,
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        128,
        32L << 20,
        Duration.ofSeconds(10));
  }

  public HttpLimits withMaxInFlight(int max) {
    return new HttpLimits(
        max,
        idleTimeout,
        headerTimeout,
        stopTimeout,
        maxInternalInFlight,
        maxBytesInFlight,
        bodyTimeout);
  }

  public HttpLimits withIdleTimeout(Duration timeout) {
    return new HttpLimits(
        maxInFlight,
        timeout,
        headerTimeout,
        stopTimeout,
        maxInternalInFlight,
        maxBytesInFlight,
        bodyTimeout);
  }

  public HttpLimits withHeaderTimeout(Duration timeout) {
    return new HttpLimits(
        maxInFlight,
        idleTimeout,
        timeout,
        stopTimeout,
        maxInternalInFlight,
        maxBytesInFlight,
        bodyTimeout);
  }

  public HttpLimits withMaxBytesInFlight(long bytes) {
    return new HttpLimits(
        maxInFlight,
        idleTimeout,
        headerTimeout,
        stopTimeout,
        maxInternalInFlight,
        bytes,
        bodyTimeout);
  }

  public HttpLimits withBodyTimeout(Duration timeout) {
    return new HttpLimits(
        maxInFlight,
        idleTimeout,
        headerTimeout,
        stopTimeout,
        maxInternalInFlight,
        maxBytesInFlight,
        timeout);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
