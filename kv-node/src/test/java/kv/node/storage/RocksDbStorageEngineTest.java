package kv.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import kv.common.Key;
import kv.common.Value;
import kv.node.ring.TokenRange;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStorageEngineTest extends StorageEngineContract {
  @TempDir Path dir;

  @Override
  protected StorageEngine open() {
    return RocksDbStorageEngine.open(dir.resolve("rocksdb"), false);
  }

  private void reopen() {
    engine.close();
    engine = open();
  }

  @Test
  void valuesTombstonesAndVersionsSurviveCloseAndReopen() {
    Map<Key, Versioned> expected = writeMixedRecords(300);
    reopen();
    assertHolds(expected);
  }

  @Test
  void recordsReadBackFromTableFilesAfterFlushAndReopen() {
    Map<Key, Versioned> expected = writeMixedRecords(300);
    ((RocksDbStorageEngine) engine).flush();
    Key late = Key.of("after-the-flush"); // one record in the memtable, the rest in a file
    engine.apply(late, live(9, A, "memtable"));
    expected.put(late, live(9, A, "memtable"));
    reopen();
    assertHolds(expected);
  }

  @Test
  void reopenedEngineStillRejectsOlderWritesAndKeepsRemovals() {
    Key deleted = Key.of("deleted");
    Key purged = Key.of("purged");
    engine.apply(deleted, live(1, A, "v"));
    engine.apply(deleted, Versioned.tombstone(new Version(5, B)));
    engine.apply(purged, Versioned.tombstone(new Version(3, A)));
    assertThat(engine.remove(purged, new Version(3, A))).isTrue();
    reopen();

    assertThat(engine.apply(deleted, live(4, B, "stale"))).as("older than the tombstone").isFalse();
    assertThat(engine.get(deleted)).contains(Versioned.tombstone(new Version(5, B)));
    assertThat(engine.get(purged)).isEmpty();
    assertThat(scan(TokenRange.fullRing())).containsExactly(deleted);
  }

  @Test
  void aOneMebibyteValueSurvivesReopen() {
    byte[] big = new byte[1 << 20];
    IntStream.range(0, big.length).forEach(i -> big[i] = (byte) (i * 31));
    Versioned record = Versioned.live(new Version(1, A), Value.copyOf(big));
    engine.apply(Key.of("big"), record);
    reopen();
    assertThat(engine.get(Key.of("big"))).contains(record);
  }

  @Test
  void syncedWritesAreReadBackLikeAnyOther() {
    engine.close();
    engine = RocksDbStorageEngine.open(dir.resolve("synced"), true);
    engine.apply(Key.of("k"), live(1, A, "v"));
    engine.close();
    engine = RocksDbStorageEngine.open(dir.resolve("synced"), true);
    assertThat(engine.get(Key.of("k"))).contains(live(1, A, "v"));
  }

  @Test
  void aSecondOpenOfTheSameDirectoryFailsAndNamesIt() {
    assertThatThrownBy(this::open)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(dir.resolve("rocksdb").toString())
        .hasMessageContaining("lock");
  }

  @Test
  void callsAfterCloseFailInsteadOfTouchingFreedMemory() {
    engine.close();
    assertThatThrownBy(() -> engine.get(Key.of("k")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> engine.apply(Key.of("k"), live(1, A, "v")))
        .isInstanceOf(IllegalStateException.class);
    engine.close(); // twice is harmless
  }

  /** Live values, overwrites, tombstones and older writes that lose, over {@code n} keys. */
  private Map<Key, Versioned> writeMixedRecords(int n) {
    Map<Key, Versioned> expected = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Key key = Key.of("key-" + i + (i % 7 == 0 ? " ✓ 😀" : ""));
      Versioned newest =
          switch (i % 3) {
            case 0 -> live(10 + i, A, "value-" + i);
            case 1 -> Versioned.tombstone(new Version(20 + i, B));
            default -> live(30 + i, B, "");
          };
      engine.apply(key, live(5, A, "older"));
      engine.apply(key, newest);
      engine.apply(key, live(1, B, "too late"));
      expected.put(key, newest);
    }
    return expected;
  }

  private void assertHolds(Map<Key, Versioned> expected) {
    expected.forEach((key, record) -> assertThat(engine.get(key)).as("%s", key).contains(record));
    Map<Key, Versioned> scanned = new TreeMap<>();
    List<Key> order = new ArrayList<>();
    engine.scan(
        TokenRange.fullRing(),
        (k, v) -> {
          scanned.put(k, v);
          order.add(k);
        });
    assertThat(scanned).isEqualTo(new TreeMap<>(expected));
    assertThat(order).isSorted();
  }
}
