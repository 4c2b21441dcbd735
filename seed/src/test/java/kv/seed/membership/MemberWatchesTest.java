package kv.seed.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import kv.common.Endpoint;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MemberWatchesTest {
  private static final Endpoint AT = Endpoint.parse("10.0.0.1:8080");
  private static final Duration LONG = Duration.ofMinutes(1);

  private final MutableClock clock = MutableClock.atEpoch2030();
  private final MemberRegistry registry =
      new MemberRegistry(clock, Duration.ofSeconds(15), () -> NodeId.of("assigned"));
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final MemberWatches watches = new MemberWatches(registry, timer, 2, LONG);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void aWatchAtTheCurrentVersionIsAnsweredByTheNextChangeAndNotBefore() throws Exception {
    long now = registry.view().version();
    CompletableFuture<MembershipView> watch = watches.await(now, LONG);
    assertThat(watch).isNotDone();

    registry.register(Optional.of(NodeId.of("node-a")), AT, Optional.empty());

    MembershipView answer = watch.get(5, TimeUnit.SECONDS);
    assertThat(answer.version()).isEqualTo(now + 1);
    assertThat(answer.members()).hasSize(1);
    assertThat(answer.changedAt()).isEqualTo(clock.millis());
    assertThat(watches.open()).isZero();
  }

  @Test
  void aHeartbeatOrARepeatedRegistrationChangesNothingAndWakesNoWatch() {
    var credential =
        Optional.of(
            registry.register(Optional.of(NodeId.of("node-a")), AT, Optional.empty()).credential());
    CompletableFuture<MembershipView> watch = watches.await(registry.view().version(), LONG);

    registry.heartbeat(NodeId.of("node-a"), credential);
    registry.register(Optional.of(NodeId.of("node-a")), AT, credential); // same place: no change

    assertThat(watch).isNotDone();
    assertThat(watches.open()).isOne();
  }

  @Test
  void aWatchFromAnOtherVersionIsAnsweredAtOnceAndHoldsNothing() {
    registry.register(Optional.of(NodeId.of("node-a")), AT, Optional.empty());
    CompletableFuture<MembershipView> watch = watches.await(registry.view().version() - 1, LONG);

    assertThat(watch).isCompletedWithValue(registry.view());
    assertThat(watches.open()).isZero();
  }

  @Test
  void aWatchWithNoChangeAnswersTheUnchangedListAfterItsWait() throws Exception {
    long now = registry.view().version();
    CompletableFuture<MembershipView> watch = watches.await(now, Duration.ofMillis(50));

    assertThat(watch.get(5, TimeUnit.SECONDS).version()).isEqualTo(now);
    assertThat(watches.open()).isZero();
  }

  @Test
  void noMoreThanTheCapWaitAtOnceAndASettledWatchFreesItsPlace() throws Exception {
    long now = registry.view().version();
    watches.await(now, LONG);
    CompletableFuture<MembershipView> second = watches.await(now, Duration.ofMillis(50));

    assertThatThrownBy(() -> watches.await(now, LONG))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED))
        .hasMessageContaining("2 watches open");

    second.get(5, TimeUnit.SECONDS);
    assertThat(watches.await(now, LONG)).isNotDone();
    assertThat(watches.open()).isEqualTo(2);
  }

  @Test
  void releaseAllAnswersEveryOpenWatchWithTheCurrentList() {
    long now = registry.view().version();
    CompletableFuture<MembershipView> a = watches.await(now, LONG);
    CompletableFuture<MembershipView> b = watches.await(now, LONG);

    watches.releaseAll();

    assertThat(a).isCompletedWithValue(registry.view());
    assertThat(b).isCompletedWithValue(registry.view());
    assertThat(watches.open()).isZero();
  }
}
