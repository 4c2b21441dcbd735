package kv.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import kv.common.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class DataSlotTest {
  @TempDir Path parent;

  @Test
  void eachNodeGetsASlotNoOtherHolds() {
    try (DataSlot first = DataSlot.claim(parent, 3);
        DataSlot second = DataSlot.claim(parent, 3)) {
      assertThat(first.dir()).isEqualTo(parent.resolve("slot-0"));
      assertThat(second.dir()).isEqualTo(parent.resolve("slot-1"));
    }
  }

  @Test
  void aReleasedSlotIsTakenAgainWithWhatItHolds() throws Exception {
    DataSlot first = DataSlot.claim(parent, 3);
    Files.writeString(first.dir().resolve("node-id"), "node-7");
    try (DataSlot second = DataSlot.claim(parent, 3)) {
      first.close();
      try (DataSlot again = DataSlot.claim(parent, 3)) {
        assertThat(again.dir()).isEqualTo(parent.resolve("slot-0"));
        assertThat(again.dir().resolve("node-id")).hasContent("node-7");
        assertThat(second.dir()).isEqualTo(parent.resolve("slot-1"));
      }
    }
  }

  @Test
  void allSlotsHeldIsAClearRefusal() {
    try (DataSlot only = DataSlot.claim(parent, 1)) {
      assertThat(only.dir()).isEqualTo(parent.resolve("slot-0"));
      assertThatThrownBy(() -> DataSlot.claim(parent, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("all 1 data slots");
    }
  }

  @Test
  void onlyWhenAsked() {
    assertThat(DataSlot.claimIfAsked(Settings.from(Map.of("DATA_DIR", parent.toString()))))
        .isEmpty();
    Optional<DataSlot> slot =
        DataSlot.claimIfAsked(
            Settings.from(Map.of("DATA_DIR", parent.toString(), "DATA_SLOTS", "4")));
    assertThat(slot).map(DataSlot::dir).contains(parent.resolve("slot-0"));
    slot.get().close();
    assertThatThrownBy(() -> DataSlot.claimIfAsked(Settings.from(Map.of("DATA_SLOTS", "4"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DATA_SLOTS needs DATA_DIR");
  }
}
