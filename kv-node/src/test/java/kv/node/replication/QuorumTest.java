package kv.node.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.error.QuorumNotMetException;
import kv.node.harness.TestReplicas;
import kv.node.storage.InMemoryStorageEngine;
import org.junit.jupiter.api.Test;

class QuorumTest {
  private final List<Replica> replicas = List.of(replica("a"), replica("b"), replica("c"));

  @Test
  void failsWithExactCountsWhenTheLastCallToSettleIsASuccess() {
    List<CompletableFuture<String>> calls =
        List.of(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
    var result = Quorum.await(replicas, calls, 3);

    calls.get(2).completeExceptionally(new KvException(ErrorCode.UNAVAILABLE, "down"));
    calls.get(0).complete("x");
    assertThat(result).isNotDone(); // b has not settled: the count is not final yet
    calls.get(1).complete("y");

    assertThat(result).isCompletedExceptionally();
    assertThatQuorumFailure(result, 3, 2);
  }

  @Test
  void completesAsSoonAsEnoughAnswer() {
    List<CompletableFuture<String>> calls =
        List.of(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
    var result = Quorum.await(replicas, calls, 2);
    calls.get(1).complete("y");
    calls.get(2).complete("z");
    assertThat(result.join()).extracting(Quorum.Reply::answer).containsExactly("y", "z");
  }

  @Test
  void aReplicaRejectingTheRequestAsInvalidFailsAtOnce() {
    List<CompletableFuture<String>> calls =
        List.of(new CompletableFuture<>(), new CompletableFuture<>(), new CompletableFuture<>());
    var result = Quorum.await(replicas, calls, 2);
    calls.get(0).completeExceptionally(new KvException(ErrorCode.VALUE_TOO_LARGE, "big"));
    assertThat(result).isCompletedExceptionally();
  }

  private static void assertThatQuorumFailure(
      CompletableFuture<?> result, int required, int acknowledged) {
    try {
      result.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause())
          .isInstanceOfSatisfying(
              QuorumNotMetException.class,
              q -> {
                assertThat(q.required()).isEqualTo(required);
                assertThat(q.acknowledged()).isEqualTo(acknowledged);
              });
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AssertionError("expected a quorum failure");
  }

  private static Replica replica(String id) {
    Clock clock = Clock.systemUTC();
    return new LocalReplica(NodeId.of(id), TestReplicas.over(new InMemoryStorageEngine(), clock));
  }
}
