package kv.node.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What every {@link HintStore} must do; one subclass per store. */
@Timeout(30)
public abstract class HintStoreContract {
  protected static final NodeId A = NodeId.of("node-a");
  protected static final NodeId B = NodeId.of("node-b");
  protected static final NodeId AB = NodeId.of("node-ab"); // A's id is a prefix of it
  protected HintStore store;

  protected abstract HintStore open();

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void anEmptyStoreHasNothingForAnyone() {
    assertThat(store.batch(A, 10)).isEmpty();
    assertThat(store.targets()).isEmpty();
    assertThat(store.pending()).isZero();
  }

  @Test
  void keepsKeyRecordAndTimeOfEachHint() {
    byte[] binary = new byte[256];
    IntStream.range(0, 256).forEach(i -> binary[i] = (byte) i);
    Versioned value = Versioned.live(new Version(7, B), Value.copyOf(binary));
    Versioned tombstone = Versioned.tombstone(new Version(8, B));
    Hint first = store.add(A, Key.of("k é/&"), value, 1_000);
    Hint second = store.add(A, Key.of("k é/&"), tombstone, 1_001);

    assertThat(store.batch(A, 10)).containsExactly(first, second);
    Hint read = store.batch(A, 1).get(0);
    assertThat(read.key()).isEqualTo(Key.of("k é/&"));
    assertThat(read.record()).isEqualTo(value);
    assertThat(read.createdAtMillis()).isEqualTo(1_000);
    assertThat(store.batch(A, 10).get(1).record().isTombstone()).isTrue();
  }

  @Test
  void batchesAreOldestFirstPerTargetAndBoundedBySize() {
    Hint late = store.add(A, Key.of("late"), live("l"), 2_000);
    Hint early = store.add(A, Key.of("early"), live("e"), 1_000);
    Hint sameMilli = store.add(A, Key.of("same-milli"), live("s"), 1_000);
    store.add(B, Key.of("for-b"), live("b"), 500);
    store.add(AB, Key.of("for-ab"), live("ab"), 500);

    assertThat(store.batch(A, 10)).containsExactly(early, sameMilli, late);
    assertThat(store.batch(A, 2)).containsExactly(early, sameMilli);
    assertThat(store.batch(B, 10)).extracting(Hint::key).containsExactly(Key.of("for-b"));
    assertThat(store.batch(AB, 10)).extracting(Hint::key).containsExactly(Key.of("for-ab"));
    assertThat(store.targets()).containsExactlyInAnyOrder(A, B, AB);
    assertThat(store.pending()).isEqualTo(5);
  }

  @Test
  void removeTakesOneHintOnce() {
    Hint one = store.add(A, Key.of("k"), live("1"), 1_000);
    Hint two = store.add(A, Key.of("k"), live("2"), 1_000);

    assertThat(store.remove(one)).isTrue();
    assertThat(store.remove(one)).isFalse();
    assertThat(store.batch(A, 10)).containsExactly(two);
    assertThat(store.pending()).isEqualTo(1);
    assertThat(store.remove(two)).isTrue();
    assertThat(store.targets()).isEmpty();
    assertThat(store.pending()).isZero();
  }

  @Test
  void expiryRemovesExactlyTheHintsMadeBeforeTheCutoff() {
    store.add(A, Key.of("old-a"), live("x"), 999);
    store.add(B, Key.of("old-b"), live("x"), 500);
    Hint atCutoff = store.add(A, Key.of("at-cutoff"), live("x"), 1_000);
    Hint newer = store.add(B, Key.of("newer"), live("x"), 5_000);

    assertThat(store.expireCreatedBefore(1_000)).isEqualTo(2);
    assertThat(store.batch(A, 10)).containsExactly(atCutoff);
    assertThat(store.batch(B, 10)).containsExactly(newer);
    assertThat(store.pending()).isEqualTo(2);
    assertThat(store.expireCreatedBefore(1_000)).isZero();
  }

  @Test
  void concurrentAddsAreAllKeptUnderDistinctSequenceNumbers() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        done.add(
            pool.submit(
                () ->
                    IntStream.range(0, 250)
                        .forEach(
                            i -> store.add(A, Key.of("w" + writer + "-" + i), live("v"), 1_000))));
      }
      for (Future<?> f : done) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Hint> all = store.batch(A, 2_000);
    assertThat(all).hasSize(1_000);
    assertThat(all.stream().map(Hint::sequence).distinct()).hasSize(1_000);
    assertThat(store.pending()).isEqualTo(1_000);
  }

  protected static Versioned live(String value) {
    return Versioned.live(new Version(1, B), Value.of(value));
  }
}
