package kv.node.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;

class RocksDbFormatTest {
  private static final NodeId NODE = NodeId.of("node-7f3a");

  @Test
  void bytewiseOrderOfStoredKeysIsTokenOrder() {
    Random random = new Random(42);
    List<byte[]> stored = new ArrayList<>();
    List<Long> tokens = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      Key key = Key.of(randomText(random));
      stored.add(RocksDbFormat.key(key));
      tokens.add(key.token());
    }
    stored.sort(Arrays::compareUnsigned); // RocksDB's default (bytewise) comparator
    tokens.sort(Comparator.naturalOrder()); // signed
    assertThat(stored.stream().map(bytes -> RocksDbFormat.key(bytes).token()).toList())
        .isEqualTo(tokens);
    assertThat(tokens.get(0)).isNegative(); // both signs were covered
    assertThat(tokens.get(tokens.size() - 1)).isPositive();
  }

  @Test
  void tokenPrefixesBoundTheirTokensAndFollowSignedOrder() {
    long[] tokens = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE};
    for (int i = 1; i < tokens.length; i++) {
      assertThat(
              Arrays.compareUnsigned(
                  RocksDbFormat.tokenPrefix(tokens[i - 1]), RocksDbFormat.tokenPrefix(tokens[i])))
          .isNegative();
    }
    Key key = Key.of("k");
    byte[] stored = RocksDbFormat.key(key);
    assertThat(Arrays.compareUnsigned(RocksDbFormat.tokenPrefix(key.token()), stored)).isNegative();
    assertThat(Arrays.compareUnsigned(stored, RocksDbFormat.tokenPrefix(key.token() + 1)))
        .isNegative();
  }

  @Test
  void keysRoundTrip() {
    for (String text : List.of("a", "user:42/profile #1 & more+😀", "ключ", "x".repeat(1024))) {
      Key back = RocksDbFormat.key(RocksDbFormat.key(Key.of(text)));
      assertThat(back).isEqualTo(Key.of(text));
      assertThat(back.token()).isEqualTo(Key.of(text).token());
    }
  }

  @Test
  void recordsRoundTripWithVersionAndTombstoneFlag() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    List<Versioned> records =
        List.of(
            Versioned.live(new Version(Long.MAX_VALUE, NODE), Value.copyOf(binary)),
            Versioned.live(new Version(0, NodeId.of("x".repeat(64))), Value.copyOf(new byte[0])),
            Versioned.tombstone(new Version(123_456_789L << 16, NODE)));
    for (Versioned record : records) {
      byte[] stored = RocksDbFormat.record(record);
      assertThat(RocksDbFormat.record(stored)).isEqualTo(record);
      assertThat(RocksDbFormat.version(stored)).isEqualTo(record.version());
    }
  }

  @Test
  void headerIsFormatFlagsTimestampAndCoordinator() {
    byte[] stored =
        RocksDbFormat.record(
            Versioned.live(new Version(0x0102030405060708L, NodeId.of("n1")), Value.of("hi")));
    assertThat(stored).containsExactly(1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 'n', '1', 'h', 'i');
    byte[] tombstone = RocksDbFormat.record(Versioned.tombstone(new Version(1, NodeId.of("n1"))));
    assertThat(tombstone[1]).isEqualTo((byte) 1);
  }

  @Test
  void unknownFormatsAndDamagedRecordsFailLoudly() {
    byte[] good = RocksDbFormat.record(Versioned.live(new Version(1, NODE), Value.of("v")));
    byte[] newerFormat = good.clone();
    newerFormat[0] = 2;
    byte[] unknownFlag = good.clone();
    unknownFlag[1] = 4;
    byte[] cut = Arrays.copyOf(good, 12);
    for (byte[] bad : List.of(newerFormat, unknownFlag, cut, new byte[3])) {
      assertThatThrownBy(() -> RocksDbFormat.record(bad)).isInstanceOf(IllegalStateException.class);
    }
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int length = 1 + random.nextInt(12);
    for (int i = 0; i < length; i++) {
      text.appendCodePoint(
          random.nextInt(4) == 0 ? 0x1F600 + random.nextInt(50) : 'a' + random.nextInt(26));
    }
    return text.toString();
  }
}
