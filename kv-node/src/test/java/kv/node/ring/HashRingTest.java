package kv.node.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import kv.common.Key;
import kv.common.NodeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashRingTest {
  private static final int VNODES = 128;
  private static final List<Key> KEYS =
      IntStream.range(0, 100_000).mapToObj(i -> Key.of("key-" + i)).toList();

  @Test
  void sameMembersGiveTheSameRingWhateverTheirOrder() {
    List<NodeId> members = nodes(7);
    List<NodeId> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, new java.util.Random(42));

    HashRing a = HashRing.of(members, VNODES);
    HashRing b = HashRing.of(shuffled, VNODES);

    assertThat(a.tokens()).isEqualTo(b.tokens()).hasSize(7 * VNODES);
    KEYS.subList(0, 1000)
        .forEach(
            k ->
                assertThat(a.preferenceList(k.token(), 3))
                    .isEqualTo(b.preferenceList(k.token(), 3)));
  }

  @Test
  void tokensAreTheDocumentedMurmur3OfIdHashIndex() {
    HashRing ring = HashRing.of(List.of(NodeId.of("node-1")), 2);
    long t0 =
        kv.common.Murmur3.hash64("node-1#0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    long t1 =
        kv.common.Murmur3.hash64("node-1#1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(ring.tokens())
        .extracting(Map.Entry::getKey)
        .containsExactly(Math.min(t0, t1), Math.max(t0, t1));
  }

  @Test
  void preferenceListHasDistinctOwnersCappedByMembers() {
    HashRing ring = HashRing.of(nodes(5), VNODES);
    KEYS.subList(0, 1000)
        .forEach(
            k -> {
              assertThat(ring.preferenceList(k.token(), 3)).hasSize(3).doesNotHaveDuplicates();
              assertThat(ring.preferenceList(k.token(), 9)).hasSize(5).doesNotHaveDuplicates();
            });
  }

  @Test
  void keyGoesToFirstTokenClockwiseWrappingAtTheEnd() {
    HashRing ring = HashRing.of(nodes(3), 4);
    List<Map.Entry<Long, NodeId>> tokens = ring.tokens();
    Map.Entry<Long, NodeId> first = tokens.get(0);
    Map.Entry<Long, NodeId> last = tokens.get(tokens.size() - 1);
    assertThat(ring.preferenceList(first.getKey(), 1)).containsExactly(first.getValue());
    assertThat(ring.preferenceList(first.getKey() - 1, 1)).containsExactly(first.getValue());
    assertThat(ring.preferenceList(tokens.get(1).getKey() - 1, 1))
        .containsExactly(tokens.get(1).getValue());
    assertThat(ring.preferenceList(last.getKey() + 1, 1))
        .containsExactly(first.getValue()); // wraps
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 4, 5, 8, 10, 16, 20})
  void addingANodeMovesAboutItsShareAndOnlyOntoIt(int n) {
    HashRing before = HashRing.of(nodes(n), VNODES);
    NodeId newcomer = NodeId.of("node-" + (n + 1));
    HashRing after = HashRing.of(nodes(n + 1), VNODES);

    int moved = 0;
    for (Key key : KEYS) {
      NodeId was = before.preferenceList(key.token(), 1).get(0);
      NodeId now = after.preferenceList(key.token(), 1).get(0);
      if (!was.equals(now)) {
        assertThat(now).as("a moved key may only move onto the new node").isEqualTo(newcomer);
        moved++;
      }
    }
    double expected = KEYS.size() / (double) (n + 1);
    assertThat((double) moved).isBetween(expected * 0.8, expected * 1.2);
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 5, 10, 20})
  void removingANodeMovesOnlyItsKeys(int n) {
    HashRing before = HashRing.of(nodes(n), VNODES);
    NodeId leaving = NodeId.of("node-2");
    List<NodeId> rest = new ArrayList<>(nodes(n));
    rest.remove(leaving);
    HashRing after = HashRing.of(rest, VNODES);

    for (Key key : KEYS) {
      NodeId was = before.preferenceList(key.token(), 1).get(0);
      NodeId now = after.preferenceList(key.token(), 1).get(0);
      if (!was.equals(leaving)) {
        assertThat(now).isEqualTo(was);
      }
    }
  }

  /**
   * 128 random tokens per node give each node's share a relative standard deviation of about
   * 1/sqrt(128) = 8.8 %, so max/mean stays under 1.25 for typical rings but not for every set of
   * node ids: about 2 % of random rings of 3-20 nodes exceed it (worst seen 1.39), whatever the
   * hash. The test therefore checks the distribution over seeded random id sets, as the README
   * documents: the median ring is within 1.25 for every n, and at least 95 % of all rings are.
   */
  @Test
  void keysSpreadEvenlyForTypicalRingsOfThreeToTwentyNodes() {
    java.util.Random random = new java.util.Random(20_261_125);
    int rings = 0;
    int within = 0;
    for (int n = 3; n <= 20; n++) {
      List<Double> ratios = new ArrayList<>();
      for (int set = 0; set < 21; set++) {
        List<NodeId> ids =
            IntStream.range(0, n)
                .mapToObj(i -> NodeId.of("node-" + Long.toHexString(random.nextLong())))
                .toList();
        ratios.add(maxOverMean(HashRing.of(ids, VNODES), n));
      }
      Collections.sort(ratios);
      assertThat(ratios.get(ratios.size() / 2))
          .as("median max/mean for n=%d", n)
          .isLessThanOrEqualTo(1.25);
      rings += ratios.size();
      within += (int) ratios.stream().filter(r -> r <= 1.25).count();
    }
    assertThat(within / (double) rings)
        .as("share of rings with max/mean <= 1.25")
        .isGreaterThanOrEqualTo(0.95);
  }

  private static double maxOverMean(HashRing ring, int n) {
    Map<NodeId, Integer> counts = new HashMap<>();
    KEYS.forEach(k -> counts.merge(ring.preferenceList(k.token(), 1).get(0), 1, Integer::sum));
    assertThat(counts).hasSize(n);
    return Collections.max(counts.values()) / (KEYS.size() / (double) n);
  }

  @Test
  void segmentsWithinCutARangeIntoPiecesWhoseKeysShareTheirReplicas() {
    HashRing ring = HashRing.of(nodes(5), 16);
    java.util.Random random = new java.util.Random(7);
    List<TokenRange> ranges =
        new ArrayList<>(
            List.of(
                TokenRange.fullRing(),
                new TokenRange(Long.MAX_VALUE - 5, Long.MIN_VALUE + 5))); // wraps, no token inside
    for (int i = 0; i < 20; i++) {
      ranges.add(new TokenRange(random.nextLong(), random.nextLong()));
    }
    for (TokenRange range : ranges) {
      List<HashRing.Segment> pieces = ring.segmentsWithin(range, 3);
      assertThat(pieces.get(0).range().start()).isEqualTo(range.start());
      assertThat(pieces.get(pieces.size() - 1).range().end()).isEqualTo(range.end());
      for (int p = 1; p < pieces.size(); p++) { // contiguous: each starts where the last ended
        assertThat(pieces.get(p).range().start()).isEqualTo(pieces.get(p - 1).range().end());
      }
      assertThat(pieces.stream().mapToDouble(s -> s.range().share()).sum())
          .isCloseTo(range.share(), org.assertj.core.data.Offset.offset(1e-9));
      for (Key key : KEYS.subList(0, 5000)) {
        if (range.contains(key.token())) {
          HashRing.Segment piece =
              pieces.stream()
                  .filter(s -> s.range().contains(key.token()))
                  .findFirst()
                  .orElseThrow();
          assertThat(piece.owners()).isEqualTo(ring.preferenceList(key.token(), 3));
        }
      }
    }
  }

  @Test
  void tokenRangeSharesAreFractionsOfTheTokenSpace() {
    assertThat(TokenRange.fullRing().share()).isEqualTo(1.0);
    assertThat(new TokenRange(0, Long.MAX_VALUE).share())
        .isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(new TokenRange(Long.MAX_VALUE, 0).share())
        .isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(new TokenRange(-1, 0).share()).isEqualTo(0x1p-64);
  }

  @Test
  void ownershipSharesSumToOne() {
    Map<NodeId, Double> shares = HashRing.of(nodes(5), VNODES).ownership();
    assertThat(shares.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(HashRing.of(nodes(1), VNODES).ownership().get(NodeId.of("node-1")))
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  private static List<NodeId> nodes(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> NodeId.of("node-" + i)).toList();
  }
}
