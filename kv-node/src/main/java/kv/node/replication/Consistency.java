package kv.node.replication;

import java.util.Locale;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * How many replicas a request waits for: {@code one}, {@code quorum} (a majority of N), {@code
 * all}, or an exact count {@code 1..N}, as the {@code ?w=} and {@code ?r=} parameters say.
 */
public record Consistency(Level level, int count) {
  /** The symbolic levels; {@code EXACT} uses {@link #count}. */
  public enum Level {
    ONE,
    QUORUM,
    ALL,
    EXACT
  }

  public static Consistency exactly(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count < 1: " + count);
    }
    return new Consistency(Level.EXACT, count);
  }

  /** Parses a request parameter named {@code name}; anything else is a {@code 400}. */
  public static Consistency parse(String name, String raw) {
    switch (raw.toLowerCase(Locale.ROOT)) {
      case "one":
        return new Consistency(Level.ONE, 1);
      case "quorum":
        return new Consistency(Level.QUORUM, 0);
      case "all":
        return new Consistency(Level.ALL, 0);
      default:
        break;
    }
    try {
      int count = Integer.parseInt(raw);
      if (count >= 1) {
        return exactly(count);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new KvException(
        ErrorCode.BAD_REQUEST, name + " must be 1..N, one, quorum or all; got '" + raw + "'");
  }

  /** The number of replicas to wait for among {@code n}; an explicit count above n is a 400. */
  int required(String name, int n) {
    return switch (level) {
      case ONE -> 1;
      case QUORUM -> n / 2 + 1;
      case ALL -> n;
      case EXACT -> {
        if (count > n) {
          throw new KvException(
              ErrorCode.BAD_REQUEST, name + "=" + count + " but this key has " + n + " replica(s)");
        }
        yield count;
      }
    };
  }

  /** A configured default, capped at the replicas a key actually has. */
  int requiredCapped(int n) {
    return level == Level.EXACT ? Math.min(count, n) : required("default", n);
  }
}
