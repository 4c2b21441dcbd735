package kv.node.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ClockBoundTest {
  private final MutableClock wall = MutableClock.atEpoch2030();
  private final HybridClock clock = new HybridClock(wall, Duration.ofMillis(500));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ClockBound bound = new ClockBound(clock, wall, registry);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(ClockBound.class);

  @BeforeEach
  void watchTheLog() {
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void stopWatching() {
    logger.detachAppender(logged);
  }

  @Test
  void aRefusalIsCountedByHowTheRecordCameAndLoggedNamingTheSender() {
    Version forged = new Version(Long.MAX_VALUE, NodeId.of("mallory"));
    assertThatThrownBy(() -> bound.admit(forged, ClockBound.Via.PUSH, "the node at 10.0.0.9"))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLOCK_SKEW));

    assertThat(refused("push")).isEqualTo(1);
    assertThat(refused("write")).isZero(); // every path's counter exists from the start
    assertThat(logged.list)
        .singleElement()
        .satisfies(
            line -> {
              assertThat(line.getLevel()).isEqualTo(Level.WARN);
              assertThat(line.getFormattedMessage())
                  .contains("10.0.0.9", "push", Long.MAX_VALUE + "@mallory");
            });
  }

  @Test
  void aFloodOfRefusalsLogsOneLinePerIntervalWithTheCountLeftOut() {
    Version forged = new Version(HybridClock.atMillis(wall.millis() + 60_000), NodeId.of("x"));
    for (int i = 0; i < 10_000; i++) {
      assertThatThrownBy(() -> bound.admit(forged, ClockBound.Via.WRITE, "a flood"))
          .isInstanceOf(KvException.class);
    }
    assertThat(logged.list).hasSize(1);
    assertThat(refused("write")).isEqualTo(10_000);

    wall.advance(ClockBound.LOG_INTERVAL);
    Version stillAhead = new Version(HybridClock.atMillis(wall.millis() + 60_000), NodeId.of("x"));
    assertThatThrownBy(() -> bound.admit(stillAhead, ClockBound.Via.HINT, "a flood"))
        .isInstanceOf(KvException.class);
    List<ILoggingEvent> lines = logged.list;
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1).getFormattedMessage()).contains("9999 more refused");
  }

  @Test
  void anAdmittedVersionMovesTheClockAndIsNotCounted() {
    Version peer = new Version(HybridClock.atMillis(wall.millis() + 400), NodeId.of("peer"));
    bound.admit(peer, ClockBound.Via.FETCH, "the node at 10.0.0.2");
    assertThat(clock.next()).isGreaterThan(peer.timestamp());
    assertThat(registry.find("kv.records.refused").counters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
    assertThat(logged.list).isEmpty();
  }

  private double refused(String via) {
    return registry
        .get("kv.records.refused")
        .tag("reason", "clock_skew")
        .tag("via", via)
        .counter()
        .count();
  }
}
