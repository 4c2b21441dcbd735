package kv.seed.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import kv.common.Endpoint;
import kv.common.MutableClock;
import kv.common.NodeCredential;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;
import org.junit.jupiter.api.Test;

class MemberRegistryTest {
  private static final NodeId NODE_A = NodeId.of("node-a");
  private static final NodeId NODE_B = NodeId.of("node-b");
  private static final Endpoint AT_A = Endpoint.parse("10.0.0.1:8080");
  private static final Endpoint AT_B = Endpoint.parse("10.0.0.2:8080");
  private static final Optional<NodeCredential> OF_A = Optional.of(NodeCredential.random());
  private static final Optional<NodeCredential> OF_B = Optional.of(NodeCredential.random());

  private final MutableClock clock = MutableClock.atEpoch2030();
  private final AtomicInteger assigned = new AtomicInteger();
  private final MemberRegistry registry =
      new MemberRegistry(
          clock, Duration.ofSeconds(15), () -> NodeId.of("assigned-" + assigned.incrementAndGet()));

  @Test
  void memberExpiresOnlyAfterTtlOfSilence() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);

    clock.advance(Duration.ofSeconds(15));
    assertThat(registry.expireStale()).isEmpty();

    clock.advance(Duration.ofMillis(1));
    assertThat(registry.expireStale()).containsExactly(NODE_A);
    assertThat(registry.view().members()).isEmpty();
  }

  @Test
  void heartbeatKeepsAMemberAlive() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    for (int i = 0; i < 10; i++) {
      clock.advance(Duration.ofSeconds(5));
      assertThat(registry.heartbeat(NODE_A, OF_A)).isPresent();
      assertThat(registry.expireStale()).isEmpty();
    }
  }

  @Test
  void heartbeatFromAnUnknownIdIsRefused() {
    assertThat(registry.heartbeat(NODE_A, OF_A)).isEmpty();
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    clock.advance(Duration.ofSeconds(16));
    registry.expireStale();
    assertThat(registry.heartbeat(NODE_A, OF_A)).isEmpty();
  }

  @Test
  void deregisteredMemberLeavesAtOnceAndTheVersionGrows() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    registry.register(Optional.of(NODE_B), AT_B, OF_B);
    long before = registry.view().version();

    var after = registry.deregister(NODE_A, OF_A);

    assertThat(after).isPresent();
    assertThat(after.get().version()).isGreaterThan(before);
    assertThat(registry.view().members()).extracting(MemberInfo::id).containsExactly(NODE_B);
    assertThat(registry.heartbeat(NODE_A, OF_A)).isEmpty(); // it must register again to come back
    assertThat(registry.deregister(NODE_A, OF_A)).isEmpty();
    assertThat(registry.view().version()).isEqualTo(after.get().version());
  }

  @Test
  void aRequestedIdTheSeedHasNeverSeenIsAccepted() {
    var registration = registry.register(Optional.of(NodeId.of("chosen-by-node")), AT_A, OF_A);
    assertThat(registration.id()).isEqualTo(NodeId.of("chosen-by-node"));
    var retried = registry.register(Optional.of(NodeId.of("chosen-by-node")), AT_A, OF_A);
    assertThat(retried.view().members()).hasSize(1); // a retry under the same id adds no phantom
    assertThat(assigned.get()).isZero();
  }

  @Test
  void versionGrowsWithEveryChangeAndOnlyThen() {
    long v0 = registry.view().version();
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    long v1 = registry.view().version();
    registry.register(Optional.of(NODE_A), AT_A, OF_A); // same address: not a change
    registry.heartbeat(NODE_A, OF_A);
    assertThat(registry.view().version()).isEqualTo(v1);
    registry.register(Optional.of(NODE_A), AT_B, OF_A); // moved
    long v2 = registry.view().version();
    registry.register(Optional.of(NODE_B), AT_B, OF_B);
    long v3 = registry.view().version();
    clock.advance(Duration.ofSeconds(16));
    registry.expireStale();
    long v4 = registry.view().version();

    assertThat(new long[] {v0, v1, v2, v3, v4}).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void versionKeepsGrowingAcrossARestartOfTheSeed() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    long before = registry.view().version();
    clock.advance(Duration.ofSeconds(1));
    MemberRegistry restarted = new MemberRegistry(clock, Duration.ofSeconds(15), () -> NODE_B);
    restarted.register(Optional.of(NODE_A), AT_A, OF_A);
    assertThat(restarted.view().version()).isGreaterThan(before);
  }

  @Test
  void nodeWithoutAnIdGetsAFreshOneAndKeepsItWhenItAsksAgain() {
    var first = registry.register(Optional.empty(), AT_A, Optional.empty());
    var second = registry.register(Optional.empty(), AT_B, Optional.empty());
    assertThat(first.id()).isNotEqualTo(second.id());
    assertThat(first.credential()).isNotEqualTo(second.credential()); // issued by the seed

    var again = registry.register(Optional.of(first.id()), AT_A, Optional.of(first.credential()));
    assertThat(again.id()).isEqualTo(first.id());
    assertThat(registry.view().members())
        .extracting(MemberInfo::id)
        .containsExactly(first.id(), second.id());
  }

  @Test
  void assignedIdsNeverCollideWithMembers() {
    registry.register(Optional.of(NodeId.of("assigned-1")), AT_A, OF_A);
    assertThat(registry.register(Optional.empty(), AT_B, OF_B).id())
        .isEqualTo(NodeId.of("assigned-2"));
  }

  @Test
  void heartbeatAnswersWithTheCurrentList() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    registry.register(Optional.of(NODE_B), AT_B, OF_B);
    assertThat(registry.heartbeat(NODE_A, OF_A).orElseThrow().members())
        .containsExactly(new MemberInfo(NODE_A, AT_A), new MemberInfo(NODE_B, AT_B));
  }

  @Test
  void aLiveIdCannotBeTakenWithoutItsCredentialFromAnywhere() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    MembershipView before = registry.view();

    for (Endpoint at : new Endpoint[] {AT_B, AT_A}) {
      for (Optional<NodeCredential> presented : List.of(Optional.<NodeCredential>empty(), OF_B)) {
        assertRefused(
            () -> registry.register(Optional.of(NODE_A), at, presented), ErrorCode.ID_IN_USE);
      }
    }
    assertThat(registry.view()).isEqualTo(before);
  }

  @Test
  void theHolderOfTheCredentialMayMoveItsIdToANewAddress() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    var moved = registry.register(Optional.of(NODE_A), AT_B, OF_A);
    assertThat(moved.credential()).isEqualTo(OF_A.get());
    assertThat(registry.view().members()).containsExactly(new MemberInfo(NODE_A, AT_B));
  }

  @Test
  void heartbeatAndDeregistrationTakeTheMembersCredential() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    MembershipView before = registry.view();

    clock.advance(Duration.ofSeconds(10));
    for (Optional<NodeCredential> presented : List.of(Optional.<NodeCredential>empty(), OF_B)) {
      assertRefused(() -> registry.heartbeat(NODE_A, presented), ErrorCode.WRONG_CREDENTIAL);
      assertRefused(() -> registry.deregister(NODE_A, presented), ErrorCode.WRONG_CREDENTIAL);
    }
    assertThat(registry.view()).isEqualTo(before);

    clock.advance(Duration.ofSeconds(6)); // refused heartbeats kept nothing alive
    assertThat(registry.expireStale()).containsExactly(NODE_A);
  }

  @Test
  void anIdThatExpiredOrLeftIsTakenByTheNextRegistrationTrustOnFirstUse() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    clock.advance(Duration.ofSeconds(16));
    registry.expireStale();

    var taken = registry.register(Optional.of(NODE_A), AT_B, OF_B);
    assertThat(taken.credential()).isEqualTo(OF_B.get());
    assertRefused(() -> registry.register(Optional.of(NODE_A), AT_A, OF_A), ErrorCode.ID_IN_USE);
    assertRefused(() -> registry.heartbeat(NODE_A, OF_A), ErrorCode.WRONG_CREDENTIAL);

    registry.deregister(NODE_A, OF_B);
    assertThat(registry.register(Optional.of(NODE_A), AT_A, OF_A).credential())
        .isEqualTo(OF_A.get());
  }

  @Test
  void aRestartedSeedAdoptsTheCredentialTheNodeStillHolds() {
    registry.register(Optional.of(NODE_A), AT_A, OF_A);
    MemberRegistry restarted = new MemberRegistry(clock, Duration.ofSeconds(15), () -> NODE_B);
    assertThat(restarted.register(Optional.of(NODE_A), AT_A, OF_A).credential())
        .isEqualTo(OF_A.get());
    assertThat(restarted.heartbeat(NODE_A, OF_A)).isPresent();
  }

  private static void assertRefused(Runnable call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(code));
  }
}
