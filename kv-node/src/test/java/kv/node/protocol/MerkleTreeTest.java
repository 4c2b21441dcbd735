package kv.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.KvException;
import kv.node.ring.TokenRange;
import kv.node.storage.InMemoryStorageEngine;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class MerkleTreeTest {
  private static final NodeId A = NodeId.of("a");

  @ParameterizedTest(name = "range {0}")
  @ValueSource(strings = {"whole", "plain", "wrapping"})
  void equalRecordsGiveEqualRootsAndOneChangeIsFoundInTheRightSlice(String kind) {
    TokenRange range =
        switch (kind) {
          case "whole" -> TokenRange.fullRing();
          case "plain" -> new TokenRange(-1L << 62, 1L << 62);
          default -> new TokenRange(1L << 62, -1L << 62);
        };
    StorageEngine left = new InMemoryStorageEngine();
    StorageEngine right = new InMemoryStorageEngine();
    for (int i = 0; i < 2000; i++) {
      Key key = Key.of("key-" + i);
      Versioned record = Versioned.live(new Version(1000 + i, A), Value.of("v" + i));
      left.apply(key, record);
      right.apply(key, record);
    }
    MerkleTree same = MerkleTree.build(right, range, MerkleTree.DEFAULT_DEPTH);
    assertThat(MerkleTree.build(left, range, MerkleTree.DEFAULT_DEPTH).root())
        .isEqualTo(same.root());
    assertThat(MerkleTree.build(left, range, 6).differences(same, 8)).isEmpty();

    Key changed = firstKeyIn(range);
    left.apply(changed, Versioned.tombstone(new Version(999_999, A)));
    MerkleTree tree = MerkleTree.build(left, range, MerkleTree.DEFAULT_DEPTH);
    assertThat(tree.root()).isNotEqualTo(same.root());
    List<TokenRange> differing = tree.differences(same, 8);
    assertThat(differing).hasSize(1);
    assertThat(differing.get(0).contains(changed.token())).isTrue();
    assertThat(range.contains(differing.get(0).end())).isTrue();
  }

  @Test
  void aDepthZeroTreeOfTheWholeRingIsOneLeaf() {
    StorageEngine storage = new InMemoryStorageEngine();
    storage.apply(Key.of("k"), Versioned.live(new Version(1, A), Value.of("x")));
    MerkleTree tree = MerkleTree.build(storage, TokenRange.fullRing(), 0);
    assertThat(tree.leaves()).hasSize(1);
    assertThat(tree.root()).isNotZero();
    assertThat(
            tree.differences(
                MerkleTree.build(new InMemoryStorageEngine(), TokenRange.fullRing(), 0), 1))
        .containsExactly(TokenRange.fullRing());
  }

  @Test
  void slicesOfAllLeavesCoverTheRangeExactly() {
    TokenRange range = new TokenRange(1L << 62, -1L << 62); // wraps
    StorageEngine empty = new InMemoryStorageEngine();
    StorageEngine full = new InMemoryStorageEngine();
    for (int i = 0; i < 5000; i++) {
      full.apply(Key.of("k" + i), Versioned.live(new Version(1, A), Value.of("x")));
    }
    List<TokenRange> slices =
        MerkleTree.build(full, range, 4).differences(MerkleTree.build(empty, range, 4), 1);
    assertThat(slices).hasSize(16);
    assertThat(slices.get(0).start()).isEqualTo(range.start());
    assertThat(slices.get(15).end()).isEqualTo(range.end());
    for (int i = 1; i < slices.size(); i++) {
      assertThat(slices.get(i).start()).isEqualTo(slices.get(i - 1).end());
    }
    assertThat(MerkleTree.build(full, range, 4).differences(MerkleTree.build(empty, range, 4), 16))
        .containsExactly(range);
  }

  @Test
  void recordsSurviveTheWireAndJunkIsABadRequest() {
    List<SyncRecord> records =
        List.of(
            new SyncRecord(
                Key.of("a & b/ü 😀"),
                Versioned.live(new Version(7, A), Value.copyOf(new byte[] {0, -1, 10}))),
            new SyncRecord(
                Key.of("gone"), Versioned.tombstone(new Version(8, NodeId.of("node-2")))));
    byte[] wire = RecordCodec.encode(records);
    assertThat(RecordCodec.decode(wire)).isEqualTo(records);
    assertThat(RecordCodec.decode(new byte[0])).isEmpty();

    byte[] truncated = java.util.Arrays.copyOf(wire, wire.length - 1);
    assertThatThrownBy(() -> RecordCodec.decode(truncated))
        .isInstanceOf(KvException.class)
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> RecordCodec.decode(new byte[] {0, 0, 0, 0}))
        .isInstanceOf(KvException.class);
  }

  private static Key firstKeyIn(TokenRange range) {
    for (int i = 0; ; i++) {
      Key key = Key.of("key-" + i);
      if (range.contains(key.token())) {
        return key;
      }
    }
  }
}
