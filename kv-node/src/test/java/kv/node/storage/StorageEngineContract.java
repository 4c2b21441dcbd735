package kv.node.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.ring.TokenRange;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link StorageEngine} must do; one subclass per engine. */
public abstract class StorageEngineContract {
  protected static final NodeId A = NodeId.of("node-a");
  protected static final NodeId B = NodeId.of("node-b");
  protected StorageEngine engine;

  protected abstract StorageEngine open();

  @BeforeEach
  void openEngine() {
    engine = open();
  }

  @AfterEach
  void closeEngine() {
    engine.close();
  }

  @Test
  void absentKeyIsEmpty() {
    assertThat(engine.get(Key.of("nothing"))).isEmpty();
  }

  @Test
  void keepsTheNewestVersionWhateverTheOrderOfArrival() {
    Key key = Key.of("k");
    Versioned v1 = live(1, A, "one");
    Versioned v2 = live(2, A, "two");
    assertThat(engine.apply(key, v2)).isTrue();
    assertThat(engine.apply(key, v1)).as("a late, older write").isFalse();
    assertThat(engine.get(key)).contains(v2);
    assertThat(engine.apply(key, v2)).as("a replayed write").isFalse();
  }

  @Test
  void nodeIdBreaksTiesBetweenEqualTimestamps() {
    Key key = Key.of("k");
    engine.apply(key, live(5, B, "from b"));
    engine.apply(key, live(5, A, "from a"));
    assertThat(engine.get(key).orElseThrow().value()).isEqualTo(Value.of("from b"));
  }

  @Test
  void tombstonesAreRecordsWithVersions() {
    Key key = Key.of("k");
    engine.apply(key, live(1, A, "v"));
    assertThat(engine.apply(key, Versioned.tombstone(new Version(2, A)))).isTrue();
    assertThat(engine.get(key).orElseThrow().isTombstone()).isTrue();
    assertThat(engine.apply(key, live(1, B, "stale"))).isFalse();
    assertThat(engine.get(key).orElseThrow().liveValue()).isEmpty();
    assertThat(engine.apply(key, live(3, B, "newer"))).isTrue();
    assertThat(engine.get(key).orElseThrow().liveValue()).contains(Value.of("newer"));
  }

  @Test
  void valuesAreBinarySafe() {
    byte[] bytes = new byte[256];
    IntStream.range(0, 256).forEach(i -> bytes[i] = (byte) i);
    engine.apply(Key.of("bin"), Versioned.live(new Version(1, A), Value.copyOf(bytes)));
    engine.apply(Key.of("empty"), Versioned.live(new Version(1, A), Value.copyOf(new byte[0])));
    assertThat(engine.get(Key.of("bin")).orElseThrow().value().toBytes()).isEqualTo(bytes);
    assertThat(engine.get(Key.of("empty")).orElseThrow().value().size()).isZero();
  }

  @Test
  void removeTakesOnlyTheNamedVersion() {
    Key key = Key.of("k");
    engine.apply(key, Versioned.tombstone(new Version(2, A)));
    assertThat(engine.remove(key, new Version(1, A))).isFalse();
    assertThat(engine.get(key)).isPresent();
    assertThat(engine.remove(key, new Version(2, A))).isTrue();
    assertThat(engine.get(key)).isEmpty();
  }

  @Test
  void scansKeysByTokenRangeInTokenOrder() {
    List<Key> keys = IntStream.range(0, 500).mapToObj(i -> Key.of("key-" + i)).sorted().toList();
    keys.forEach(k -> engine.apply(k, live(1, A, k.value())));
    long low = keys.get(100).token();
    long high = keys.get(300).token();

    assertThat(scan(new TokenRange(low, high))).containsExactlyElementsOf(keys.subList(101, 301));
    List<Key> wrapped = new ArrayList<>(keys.subList(301, 500));
    wrapped.addAll(keys.subList(0, 101));
    assertThat(scan(new TokenRange(high, low))).containsExactlyElementsOf(wrapped);
    assertThat(scan(TokenRange.fullRing())).containsExactlyElementsOf(keys);
    assertThat(scan(new TokenRange(keys.get(7).token(), keys.get(7).token()))).hasSize(500);
    assertThat(engine.size()).isEqualTo(500);
  }

  @Test
  void scanWhileStopsWhereTheVisitorSaysEvenAcrossTheWrap() {
    List<Key> keys = IntStream.range(0, 500).mapToObj(i -> Key.of("key-" + i)).sorted().toList();
    keys.forEach(k -> engine.apply(k, live(1, A, k.value())));
    long high = keys.get(300).token();
    long low = keys.get(100).token();

    List<Key> firstTen = new ArrayList<>();
    engine.scanWhile(TokenRange.fullRing(), (k, v) -> firstTen.add(k) && firstTen.size() < 10);
    assertThat(firstTen).containsExactlyElementsOf(keys.subList(0, 10));
    List<Key> acrossTheWrap = new ArrayList<>(); // 199 keys after high, then 51 from the start
    engine.scanWhile(
        new TokenRange(high, low), (k, v) -> acrossTheWrap.add(k) && acrossTheWrap.size() < 250);
    List<Key> expected = new ArrayList<>(keys.subList(301, 500));
    expected.addAll(keys.subList(0, 51));
    assertThat(acrossTheWrap).containsExactlyElementsOf(expected);
    assertThat(engine.isEmpty(new TokenRange(low, high))).isFalse();
    assertThat(engine.isEmpty(new TokenRange(keys.get(7).token(), keys.get(7).token() + 1)))
        .isTrue();
  }

  @Test
  void scanIncludesTombstonesAndHandlesTheExtremeTokens() {
    Key key = Key.of("k");
    engine.apply(key, Versioned.tombstone(new Version(1, A)));
    assertThat(
            scan(new TokenRange(Long.MAX_VALUE, Long.MIN_VALUE + 1)).size()
                + scan(new TokenRange(Long.MIN_VALUE + 1, Long.MAX_VALUE)).size())
        .isEqualTo(1);
    assertThat(scan(new TokenRange(key.token() - 1, key.token()))).containsExactly(key);
    assertThat(scan(new TokenRange(key.token(), key.token() + 1))).isEmpty();
  }

  @Test
  void applyIsAtomicPerKeyUnderConcurrentWriters() throws Exception {
    int writers = 4;
    int rounds = 2000;
    CyclicBarrier together = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<List<Version>>> written = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        NodeId writer = NodeId.of("writer-" + w);
        Random random = new Random(w);
        written.add(pool.submit(() -> race(rounds, writer, random, together)));
      }
      List<List<Version>> byWriter = new ArrayList<>();
      for (Future<List<Version>> f : written) {
        byWriter.add(f.get(25, TimeUnit.SECONDS));
      }
      List<Integer> lost = new ArrayList<>(); // rounds whose newest write was overwritten
      for (int round = 0; round < rounds; round++) {
        int r = round;
        Version newest = byWriter.stream().map(v -> v.get(r)).max(Version::compareTo).orElseThrow();
        if (!engine.get(Key.of("race-" + round)).orElseThrow().version().equals(newest)) {
          lost.add(round);
        }
      }
      assertThat(lost).as("rounds where a concurrent older write replaced the newest").isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  /** Each round, all writers apply a random version to the same fresh key at the same moment. */
  private List<Version> race(int rounds, NodeId writer, Random random, CyclicBarrier together)
      throws Exception {
    List<Version> versions = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      Version version = new Version(random.nextInt(1000), writer);
      together.await(10, TimeUnit.SECONDS);
      engine.apply(Key.of("race-" + round), Versioned.live(version, Value.of("v")));
      versions.add(version);
    }
    return versions;
  }

  protected List<Key> scan(TokenRange range) {
    List<Key> seen = new ArrayList<>();
    engine.scan(range, (k, v) -> seen.add(k));
    return seen;
  }

  protected static Versioned live(long timestamp, NodeId by, String value) {
    return Versioned.live(new Version(timestamp, by), Value.of(value));
  }
}
