package kv.node.ring;

/**
 * The keys whose token {@code t} satisfies {@code start < t <= end} on the ring, wrapping past the
 * largest token when {@code start >= end}; {@code start == end} is the whole ring. This is the
 * range a ring token owns: from its predecessor (exclusive) to itself (inclusive).
 */
public record TokenRange(long start, long end) {
  public static TokenRange fullRing() {
    return new TokenRange(Long.MIN_VALUE, Long.MIN_VALUE);
  }

  public boolean contains(long token) {
    if (start < end) {
      return token > start && token <= end;
    }
    return token > start || token <= end; // wraps (or the whole ring when start == end)
  }

  public boolean wraps() {
    return start >= end;
  }

  /** The fraction of the token space the range covers: 1 for the whole ring. */
  public double share() {
    if (start == end) {
      return 1.0;
    }
    long width = end - start; // the number of tokens, modulo 2^64
    return ((width >>> 1) * 2.0 + (width & 1)) / 0x1p64;
  }
}
