package kv.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BatchCodecTest {
  private static final Version V = new Version(123_456_789L, NodeId.of("node-a"));

  @Test
  void operationsSurviveTheRoundTripInOrder() {
    byte[] binary = {0, -1, 10, 13, 127, -128};
    List<ReplicaOp> ops =
        List.of(
            new ReplicaOp.Read(Key.of("k&#+%/ 😀")),
            new ReplicaOp.Write(
                Key.of("live"), Versioned.live(V, Value.copyOf(binary)), Optional.empty(), 0),
            new ReplicaOp.Write(Key.of("gone"), Versioned.tombstone(V), Optional.empty(), 0),
            new ReplicaOp.Write(
                Key.of("hinted"),
                Versioned.live(V, Value.of("v")),
                Optional.of(NodeId.of("node-b")),
                0),
            new ReplicaOp.Write(
                Key.of("placed"),
                Versioned.live(V, Value.of("v")),
                Optional.empty(),
                1_733_040_000_123L));

    assertThat(BatchCodec.decodeOps(BatchCodec.encodeOps(ops))).isEqualTo(ops);
  }

  @Test
  void repliesSurviveTheRoundTripInOrder() {
    List<ReplicaReply> replies =
        List.of(
            new ReplicaReply.Written(),
            new ReplicaReply.Found(Versioned.live(V, Value.of("é value"))),
            new ReplicaReply.Found(Versioned.tombstone(V)),
            new ReplicaReply.Missing(),
            new ReplicaReply.Failed(ErrorCode.UNAVAILABLE, "range pending: ünïcode"));

    assertThat(BatchCodec.decodeReplies(BatchCodec.encodeReplies(replies), 5)).isEqualTo(replies);
  }

  @Test
  void encodedSizeIsExactlyWhatEachOperationWeighsOnTheWire() {
    List<ReplicaOp> ops =
        List.of(
            new ReplicaOp.Read(Key.of("plain")),
            new ReplicaOp.Read(Key.of("ключ 😀 & /")),
            new ReplicaOp.Write(
                Key.of("w"), Versioned.live(V, Value.of("x".repeat(300))), Optional.empty(), 0),
            new ReplicaOp.Write(
                Key.of("placed é"), Versioned.live(V, Value.of("v")), Optional.empty(), 42),
            new ReplicaOp.Write(
                Key.of("hinted"), Versioned.tombstone(V), Optional.of(NodeId.of("node-b")), 0));
    for (ReplicaOp op : ops) {
      assertThat(BatchCodec.encodedSize(op))
          .as("%s", op)
          .isEqualTo(BatchCodec.encodeOps(List.of(op)).length);
    }
  }

  @Test
  void anEmptyBatchIsNoOperations() {
    assertThat(BatchCodec.decodeOps(BatchCodec.encodeOps(List.of()))).isEmpty();
  }

  @Test
  void malformedOperationsAreABadRequest() {
    byte[] good =
        BatchCodec.encodeOps(
            List.of(
                new ReplicaOp.Write(
                    Key.of("k"), Versioned.live(V, Value.of("value")), Optional.empty(), 0)));
    byte[] unknownKind = good.clone();
    unknownKind[0] = 9;
    byte[] hugeKeyLength = good.clone();
    hugeKeyLength[1] = 0x7f;

    for (byte[] junk :
        List.of(
            Arrays.copyOf(good, good.length - 1),
            unknownKind,
            hugeKeyLength,
            "junk".getBytes(StandardCharsets.UTF_8))) {
      assertThatThrownBy(() -> BatchCodec.decodeOps(junk))
          .isInstanceOfSatisfying(
              KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
          .hasMessageContaining("malformed operation batch");
    }
  }

  @Test
  void randomlyCorruptedBatchesDecodeOrAreABadRequestNeverAnythingElse() {
    byte[] good =
        BatchCodec.encodeOps(
            List.of(
                new ReplicaOp.Read(Key.of("a")),
                new ReplicaOp.Write(
                    Key.of("b"), Versioned.live(V, Value.of("value")), Optional.empty(), 0),
                new ReplicaOp.Write(
                    Key.of("c"), Versioned.tombstone(V), Optional.of(NodeId.of("node-c")), 0),
                new ReplicaOp.Write(Key.of("d"), Versioned.tombstone(V), Optional.empty(), 42)));
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 20_000; i++) {
      byte[] junk = Arrays.copyOf(good, 1 + random.nextInt(good.length + 8));
      for (int flips = random.nextInt(4); flips >= 0; flips--) {
        junk[random.nextInt(junk.length)] = (byte) random.nextInt(256);
      }
      try {
        BatchCodec.decodeOps(junk);
      } catch (KvException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST);
      }
    }
  }

  @Test
  void aTombstoneWithAValueIsRejected() {
    byte[] bytes =
        BatchCodec.encodeOps(
            List.of(
                new ReplicaOp.Write(
                    Key.of("k"), Versioned.live(V, Value.of("x")), Optional.empty(), 0)));
    int flagAt = bytes.length - Integer.BYTES - 1 - 1; // flag, value length, one value byte
    bytes[flagAt] = 1;

    assertThatThrownBy(() -> BatchCodec.decodeOps(bytes))
        .hasMessageContaining("a tombstone carries no value");
  }

  @Test
  void repliesThatDoNotParseOrDoNotMatchTheBatchMeanThePeerFailed() {
    byte[] two =
        BatchCodec.encodeReplies(List.of(new ReplicaReply.Written(), new ReplicaReply.Missing()));

    for (Runnable bad :
        List.<Runnable>of(
            () -> BatchCodec.decodeReplies(two, 3),
            () -> BatchCodec.decodeReplies(new byte[] {42}, 1),
            () -> BatchCodec.decodeReplies(new byte[] {2, 0, 0}, 1))) {
      assertThatThrownBy(bad::run)
          .isInstanceOfSatisfying(
              KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }
  }
}
