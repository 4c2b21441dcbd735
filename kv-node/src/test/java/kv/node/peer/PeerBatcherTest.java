package kv.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class PeerBatcherTest {
  private final AtomicLong nanoTime = new AtomicLong(42);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<PeerBatcher> batchers = new CopyOnWriteArrayList<>();
  private final BatchMetrics metrics =
      new BatchMetrics(registry, () -> batchers.stream().mapToInt(PeerBatcher::queued).sum());
  private final Peer peer = new Peer();

  /** A peer whose batches are answered when the test says so. */
  private static final class Peer implements PeerBatcher.Sender {
    final List<List<ReplicaOp>> batches = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<List<ReplicaReply>>> calls = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<List<ReplicaReply>> send(List<ReplicaOp> ops) {
      CompletableFuture<List<ReplicaReply>> call = new CompletableFuture<>();
      batches.add(List.copyOf(ops));
      calls.add(call);
      return call;
    }

    /** Answers batch {@code i} with one Missing per operation. */
    void answer(int i) {
      List<ReplicaReply> replies = new ArrayList<>();
      batches.get(i).forEach(op -> replies.add(new ReplicaReply.Missing()));
      calls.get(i).complete(replies);
    }
  }

  private PeerBatcher batcher(int maxInFlight, int maxOps, int maxBytes) {
    PeerBatcher batcher =
        new PeerBatcher(
            peer, maxInFlight, maxOps, maxBytes, Duration.ofSeconds(2), nanoTime::get, metrics);
    batchers.add(batcher);
    return batcher;
  }

  private static ReplicaOp read(int i) {
    return new ReplicaOp.Read(Key.of("k" + i));
  }

  @Test
  void aLoneOperationLeavesAtOnceInABatchOfItsOwn() {
    CompletableFuture<ReplicaReply> reply = batcher(2, 100, 1 << 20).submit(read(1));

    assertThat(peer.batches).containsExactly(List.of(read(1)));
    peer.answer(0);
    assertThat(reply).isCompletedWithValue(new ReplicaReply.Missing());
  }

  @Test
  void operationsArrivingWhileAllSlotsAreBusyLeaveTogetherWhenOneReturns() {
    PeerBatcher batcher = batcher(2, 100, 1 << 20);
    List<CompletableFuture<ReplicaReply>> replies = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      replies.add(batcher.submit(read(i)));
    }
    assertThat(peer.batches).containsExactly(List.of(read(0)), List.of(read(1)));
    assertThat(registry.get("kv.peer.operations.queued").gauge().value()).isEqualTo(8);

    peer.answer(1);

    assertThat(peer.batches).hasSize(3);
    assertThat(peer.batches.get(2))
        .containsExactly(read(2), read(3), read(4), read(5), read(6), read(7), read(8), read(9));
    assertThat(replies.get(1)).isCompleted();
    assertThat(replies.get(0)).isNotDone();
    peer.answer(2);
    peer.answer(0);
    assertThat(replies)
        .allSatisfy(r -> assertThat(r).isCompletedWithValue(new ReplicaReply.Missing()));
    assertThat(peer.batches).as("nothing left to send").hasSize(3);
    assertThat(registry.get("kv.peer.batch.operations").summary().count()).isEqualTo(3);
    assertThat(registry.get("kv.peer.batch.operations").summary().totalAmount()).isEqualTo(10);
    assertThat(registry.get("kv.peer.operations.queued").gauge().value()).isZero();
  }

  @Test
  void aBatchHoldsAtMostMaxOpsAndTheRestFollow() {
    PeerBatcher batcher = batcher(1, 3, 1 << 20);
    for (int i = 0; i < 8; i++) {
      batcher.submit(read(i));
    }
    peer.answer(0);
    peer.answer(1);
    peer.answer(2);

    assertThat(peer.batches).extracting(List::size).containsExactly(1, 3, 3, 1);
  }

  @Test
  void largeValuesSplitBatchesByBytesButALargeOneStillLeavesAlone() {
    PeerBatcher batcher = batcher(1, 100, 10_000);
    Versioned big = Versioned.live(new Version(1, NodeId.of("n")), Value.copyOf(new byte[6_000]));
    batcher.submit(read(0));
    for (int i = 1; i <= 3; i++) {
      batcher.submit(new ReplicaOp.Write(Key.of("big" + i), big, java.util.Optional.empty(), 0));
    }
    Versioned huge = Versioned.live(new Version(1, NodeId.of("n")), Value.copyOf(new byte[50_000]));
    batcher.submit(new ReplicaOp.Write(Key.of("huge"), huge, java.util.Optional.empty(), 0));
    for (int i = 0; i < 4; i++) {
      peer.answer(i);
    }

    assertThat(peer.batches).extracting(List::size).containsExactly(1, 1, 1, 1, 1);
  }

  @Test
  void aReadQueuedBehindLargeWritesLeavesWithTheNextBatch() {
    PeerBatcher batcher = batcher(1, 100, 10_000);
    Versioned big = Versioned.live(new Version(1, NodeId.of("n")), Value.copyOf(new byte[9_990]));
    List<ReplicaOp> writes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      writes.add(new ReplicaOp.Write(Key.of("big" + i), big, java.util.Optional.empty(), 0));
      batcher.submit(writes.get(i));
    }
    CompletableFuture<ReplicaReply> read = batcher.submit(read(9)); // behind three queued writes

    peer.answer(0);
    assertThat(peer.batches.get(1)).containsExactly(read(9)); // not after big1, big2 and big3
    peer.answer(1);
    assertThat(read).isCompleted();
    for (int i = 2; i <= 4; i++) {
      peer.answer(i);
    }
    assertThat(peer.batches)
        .extracting(b -> b.get(0))
        .containsExactly(
            writes.get(0),
            read(9),
            writes.get(1),
            writes.get(2),
            writes.get(3)); // the writes keep their order
  }

  @Test
  void aFailedBatchFailsEveryOperationInItAndTheQueueMovesOn() {
    PeerBatcher batcher = batcher(1, 100, 1 << 20);
    CompletableFuture<ReplicaReply> first = batcher.submit(read(0));
    CompletableFuture<ReplicaReply> second = batcher.submit(read(1));
    CompletableFuture<ReplicaReply> third = batcher.submit(read(2));

    peer.calls.get(0).completeExceptionally(new KvException(ErrorCode.UNAVAILABLE, "refused"));

    assertThat(first).isCompletedExceptionally();
    assertThat(peer.batches).hasSize(2);
    peer.calls
        .get(1)
        .completeExceptionally(new CompletionException(new KvException(ErrorCode.TIMEOUT, "slow")));
    assertThat(List.of(second, third))
        .allSatisfy(
            f ->
                assertThat(f.handle((ok, e) -> e).join())
                    .isInstanceOfSatisfying(
                        KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT)));
    assertThat(first.handle((ok, e) -> e).join()).hasMessage("refused");
  }

  @Test
  void operationsQueuedLongerThanTheTimeoutFailWithoutBeingSent() {
    PeerBatcher batcher = batcher(1, 100, 1 << 20);
    batcher.submit(read(0));
    CompletableFuture<ReplicaReply> stale = batcher.submit(read(1));
    nanoTime.addAndGet(Duration.ofMillis(2_001).toNanos());
    CompletableFuture<ReplicaReply> fresh = batcher.submit(read(2));

    peer.answer(0);

    assertThat(stale.handle((ok, e) -> e).join())
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    assertThat(registry.get("kv.peer.operations.expired").counter().count()).isEqualTo(1);
    assertThat(peer.batches.get(1)).containsExactly(read(2));
    peer.answer(1);
    assertThat(fresh).isCompletedWithValue(new ReplicaReply.Missing());
  }

  @Test
  void aSenderThatThrowsFailsTheBatchAndFreesTheSlot() {
    PeerBatcher batcher =
        new PeerBatcher(
            ops -> {
              throw new KvException(ErrorCode.UNAVAILABLE, "client closed");
            },
            1,
            100,
            1 << 20,
            Duration.ofSeconds(2),
            nanoTime::get,
            metrics);

    assertThat(batcher.submit(read(0))).isCompletedExceptionally();
    assertThat(batcher.submit(read(1))).isCompletedExceptionally();
  }

  @Test
  void aSenderThatThrowsAnErrorStillSettlesTheBatchAndFreesTheSlot() {
    PeerBatcher batcher =
        new PeerBatcher(
            ops -> {
              throw new OutOfMemoryError("encoding");
            },
            1,
            100,
            1 << 20,
            Duration.ofSeconds(2),
            nanoTime::get,
            metrics);

    assertThat(batcher.submit(read(0))).isCompletedExceptionally();
    assertThat(batcher.submit(read(1))).isCompletedExceptionally();
  }

  @Test
  void callsThatFailAtOnceDrainADeepQueueWithoutRecursing() {
    List<CompletableFuture<List<ReplicaReply>>> held = new ArrayList<>();
    boolean[] failNow = {false};
    PeerBatcher batcher =
        new PeerBatcher(
            ops -> {
              if (failNow[0]) {
                return CompletableFuture.failedFuture(
                    new KvException(ErrorCode.UNAVAILABLE, "closed"));
              }
              CompletableFuture<List<ReplicaReply>> call = new CompletableFuture<>();
              held.add(call);
              return call;
            },
            1,
            1,
            1 << 20,
            Duration.ofSeconds(2),
            nanoTime::get,
            metrics);
    batcher.submit(read(0));
    List<CompletableFuture<ReplicaReply>> queued = new ArrayList<>();
    for (int i = 1; i <= 100_000; i++) { // one operation per batch: 100,000 batches in one go
      queued.add(batcher.submit(read(i)));
    }
    failNow[0] = true;

    held.get(0).completeExceptionally(new KvException(ErrorCode.UNAVAILABLE, "refused"));

    assertThat(queued).allSatisfy(f -> assertThat(f).isCompletedExceptionally());
  }

  @Test
  void underConcurrentLoadEveryOperationIsAnsweredExactlyOnceAndNoMoreThanMaxInFlightAreOut()
      throws InterruptedException {
    int maxInFlight = 3;
    java.util.concurrent.atomic.AtomicInteger out = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger mostOut =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    ExecutorService peerThreads = Executors.newFixedThreadPool(4);
    PeerBatcher batcher =
        new PeerBatcher(
            ops -> {
              mostOut.accumulateAndGet(out.incrementAndGet(), Math::max);
              sent.addAndGet(ops.size());
              return CompletableFuture.supplyAsync(
                  () -> {
                    out.decrementAndGet();
                    return ops.stream()
                        .<ReplicaReply>map(
                            op ->
                                new ReplicaReply.Found(
                                    Versioned.live(
                                        new Version(1, NodeId.of("n")),
                                        Value.of(op.key().value()))))
                        .toList();
                  },
                  peerThreads);
            },
            maxInFlight,
            16,
            1 << 20,
            Duration.ofSeconds(10),
            nanoTime::get,
            metrics);
    ExecutorService clients = Executors.newFixedThreadPool(8);
    Map<String, CompletableFuture<ReplicaReply>> replies = new ConcurrentHashMap<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      clients.execute(
          () -> {
            for (int i = 0; i < 2_000; i++) {
              String key = thread + "-" + i;
              replies.put(key, batcher.submit(new ReplicaOp.Read(Key.of(key))));
            }
          });
    }
    clients.shutdown();
    assertThat(clients.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture.allOf(replies.values().toArray(CompletableFuture[]::new)).join();
    peerThreads.shutdown();

    assertThat(replies).hasSize(16_000);
    assertThat(sent).as("operations sent, each once").hasValue(16_000);
    assertThat(mostOut.get()).isBetween(1, maxInFlight);
    replies.forEach(
        (key, reply) ->
            assertThat(reply.join())
                .as("the reply to %s is its own", key)
                .isEqualTo(
                    new ReplicaReply.Found(
                        Versioned.live(new Version(1, NodeId.of("n")), Value.of(key)))));
  }
}
