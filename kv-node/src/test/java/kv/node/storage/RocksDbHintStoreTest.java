package kv.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import kv.common.Key;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbHintStoreTest extends HintStoreContract {
  @TempDir Path dir;

  @Override
  protected HintStore open() {
    return RocksDbHintStore.open(dir.resolve("hints"), false);
  }

  private void reopen() {
    store.close();
    store = open();
  }

  @Test
  void hintsSurviveCloseAndReopenInOrderWithTheirCount() {
    Hint first = store.add(A, Key.of("one"), live("1"), 1_000);
    Hint second = store.add(A, Key.of("two"), live("2"), 1_000);
    Hint forB = store.add(B, Key.of("three"), live("3"), 2_000);
    store.remove(second);

    reopen();

    assertThat(store.pending()).isEqualTo(2);
    assertThat(store.targets()).containsExactlyInAnyOrder(A, B);
    assertThat(store.batch(A, 10)).containsExactly(first);
    assertThat(store.batch(B, 10)).containsExactly(forB);
  }

  @Test
  void sequenceNumbersContinueAfterReopenSoAHintMadeInTheSameMillisecondIsNotLost() {
    Hint before = store.add(A, Key.of("before"), live("1"), 1_000);
    reopen();
    Hint after = store.add(A, Key.of("after"), live("2"), 1_000);

    assertThat(after.sequence()).isGreaterThan(before.sequence());
    assertThat(store.batch(A, 10)).containsExactly(before, after);
  }

  @Test
  void theStoreLivesBesideTheRecordsAndRefusesUseAfterClose() {
    StorageConfig config = StorageConfig.rocksDb(dir.resolve("node").resolve("rocksdb"), false);
    try (StorageEngine records = config.open();
        HintStore hints = config.openHints()) {
      assertThat(hints).isInstanceOf(RocksDbHintStore.class);
      hints.add(A, Key.of("k"), live("v"), 1);
      assertThat(records.get(Key.of("k"))).isEmpty();
    }
    assertThat(dir.resolve("node").resolve("hints")).isDirectory();
    assertThat(StorageConfig.memory().openHints()).isInstanceOf(InMemoryHintStore.class);

    store.close();
    assertThatThrownBy(() -> store.batch(A, 1)).isInstanceOf(IllegalStateException.class);
  }
}
