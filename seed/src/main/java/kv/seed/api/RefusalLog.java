package kv.seed.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs refused membership requests (wrong cluster token, someone else's id) at WARN, at most one
 * line per kind of refusal per {@link #INTERVAL}, each saying how many were not logged since the
 * previous one: a stranger or a misconfigured node retrying every second must not flood the log.
 */
final class RefusalLog {
  static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);
  private static final Set<ErrorCode> REFUSALS =
      Set.of(ErrorCode.UNAUTHORIZED, ErrorCode.ID_IN_USE, ErrorCode.WRONG_CREDENTIAL);

  private final Clock clock;
  private final Map<ErrorCode, Instant> lastLogged = new EnumMap<>(ErrorCode.class);
  private final Map<ErrorCode, Integer> suppressed = new EnumMap<>(ErrorCode.class);

  RefusalLog(Clock clock) {
    this.clock = clock;
  }

  /**
   * Notes {@code e} if it is a refusal, for a request to {@code path} from {@code source} (an IP
   * address); returns whether a line was logged.
   */
  synchronized boolean note(KvException e, String path, String source) {
    if (!REFUSALS.contains(e.code())) {
      return false;
    }
    Instant now = clock.instant();
    Instant last = lastLogged.get(e.code());
    if (last != null && now.isBefore(last.plus(INTERVAL))) {
      suppressed.merge(e.code(), 1, Integer::sum);
      return false;
    }
    int skipped = suppressed.getOrDefault(e.code(), 0);
    suppressed.remove(e.code());
    lastLogged.put(e.code(), now);
    log.warn(
        "Refused {} from {}: {} {}{}",
        path,
        source,
        e.code().httpStatus(),
        e.getMessage(),
        skipped == 0
            ? ""
            : " ("
                + skipped
                + " more "
                + e.code().wireName()
                + " refusal(s) since"
                + " the last line, not logged)");
    return true;
  }
}
