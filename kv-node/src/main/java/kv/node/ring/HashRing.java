package kv.node.ring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import kv.common.Murmur3;
import kv.common.NodeId;

/**
 * Immutable consistent-hash ring. Each node owns {@code vnodes} tokens, token {@code i} being
 * {@link Murmur3#hash64} of the UTF-8 bytes of {@code nodeId + "#" + i}; a key belongs to the first
 * token at or clockwise after its own. The same members always give the same ring. A membership
 * change builds a new ring.
 */
public final class HashRing {
  private final long[] tokens; // sorted ascending (signed order); the ring wraps from last to first
  private final NodeId[] owners; // owners[i] owns tokens[i]
  private final int nodeCount;

  private HashRing(long[] tokens, NodeId[] owners, int nodeCount) {
    this.tokens = tokens;
    this.owners = owners;
    this.nodeCount = nodeCount;
  }

  public static HashRing of(Collection<NodeId> nodes, int vnodes) {
    if (vnodes < 1) {
      throw new IllegalArgumentException("vnodes < 1: " + vnodes);
    }
    TreeMap<Long, NodeId> byToken = new TreeMap<>();
    for (NodeId node : Set.copyOf(nodes)) {
      for (int i = 0; i < vnodes; i++) {
        long token = Murmur3.hash64((node.value() + "#" + i).getBytes(StandardCharsets.UTF_8));
        byToken.merge(token, node, (a, b) -> a.compareTo(b) <= 0 ? a : b); // collisions: stable
      }
    }
    long[] tokens = byToken.keySet().stream().mapToLong(Long::longValue).toArray();
    NodeId[] owners = byToken.values().toArray(NodeId[]::new);
    return new HashRing(tokens, owners, Set.copyOf(nodes).size());
  }

  public boolean isEmpty() {
    return tokens.length == 0;
  }

  public int nodeCount() {
    return nodeCount;
  }

  /** The first {@code n} distinct owners met walking clockwise from {@code token}. */
  public List<NodeId> preferenceList(long token, int n) {
    int wanted = Math.min(n, nodeCount);
    if (wanted == 1) {
      return List.of(owners[firstAtOrAfter(token)]); // the N=1 hot path allocates nothing else
    }
    LinkedHashSet<NodeId> found = new LinkedHashSet<>();
    int start = firstAtOrAfter(token);
    for (int step = 0; step < owners.length && found.size() < wanted; step++) {
      found.add(owners[(start + step) % owners.length]);
    }
    return List.copyOf(found);
  }

  /**
   * The ring cut into the ranges its tokens own, each with its preference list of {@code n} nodes:
   * range {@code i} runs from token {@code i-1} (exclusive) to token {@code i} (inclusive),
   * wrapping. A one-token ring is one range covering the whole ring.
   */
  public List<Segment> segments(int n) {
    List<Segment> segments = new ArrayList<>(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      long previous = tokens[(i - 1 + tokens.length) % tokens.length];
      segments.add(new Segment(new TokenRange(previous, tokens[i]), preferenceList(tokens[i], n)));
    }
    return segments;
  }

  /**
   * {@code range} cut at this ring's tokens, in ring order, each piece with its preference list of
   * {@code n} nodes: every key of a piece has the same replicas. Empty when the ring is.
   */
  public List<Segment> segmentsWithin(TokenRange range, int n) {
    if (isEmpty()) {
      return List.of();
    }
    List<Segment> pieces = new ArrayList<>();
    long from = range.start();
    int first = firstAfter(range.start());
    for (int step = 0; step < tokens.length; step++) {
      long token = tokens[(first + step) % tokens.length];
      if (token == range.end() || !range.contains(token)) {
        break;
      }
      pieces.add(new Segment(new TokenRange(from, token), preferenceList(token, n)));
      from = token;
    }
    pieces.add(new Segment(new TokenRange(from, range.end()), preferenceList(range.end(), n)));
    return pieces;
  }

  /**
   * The ranges whose preference lists differ between two rings, cut at the tokens of both so that
   * each range has one preference list in each. Empty when the rings place every key alike.
   */
  public static List<Change> changes(HashRing before, HashRing after, int n) {
    TreeSet<Long> cuts = new TreeSet<>();
    for (long t : before.tokens) {
      cuts.add(t);
    }
    for (long t : after.tokens) {
      cuts.add(t);
    }
    List<Change> changes = new ArrayList<>();
    Long previous = cuts.isEmpty() ? null : cuts.last();
    for (long cut : cuts) {
      List<NodeId> was = before.isEmpty() ? List.of() : before.preferenceList(cut, n);
      List<NodeId> is = after.isEmpty() ? List.of() : after.preferenceList(cut, n);
      if (!Set.copyOf(was).equals(Set.copyOf(is))) {
        changes.add(new Change(new TokenRange(previous, cut), was, is));
      }
      previous = cut;
    }
    return changes;
  }

  /** A range of the ring and the nodes that replicate it. */
  public record Segment(TokenRange range, List<NodeId> owners) {}

  /** A range whose replicas were {@code before} and are {@code after}. */
  public record Change(TokenRange range, List<NodeId> before, List<NodeId> after) {}

  /** The fraction of the token space each node owns as primary (sums to 1). */
  public Map<NodeId, Double> ownership() {
    Map<NodeId, Double> share = new HashMap<>();
    for (int i = 0; i < tokens.length; i++) {
      long previous = tokens[(i - 1 + tokens.length) % tokens.length];
      double width = unsignedToDouble(tokens[i] - previous); // wraps correctly mod 2^64
      share.merge(owners[i], width / 0x1p64, Double::sum);
    }
    if (tokens.length == 1) {
      share.put(owners[0], 1.0);
    }
    return share;
  }

  /** Every token and its owner, in ring order (for introspection and tests). */
  public List<Map.Entry<Long, NodeId>> tokens() {
    List<Map.Entry<Long, NodeId>> all = new ArrayList<>(tokens.length);
    for (int i = 0; i < tokens.length; i++) {
      all.add(Map.entry(tokens[i], owners[i]));
    }
    return all;
  }

  private int firstAtOrAfter(long token) {
    if (tokens.length == 0) {
      throw new IllegalStateException("the ring is empty");
    }
    int i = Arrays.binarySearch(tokens, token);
    int index = i >= 0 ? i : -i - 1;
    return index == tokens.length ? 0 : index; // wrap around
  }

  /** The index of the first token strictly after {@code token}, wrapping. */
  private int firstAfter(long token) {
    int i = Arrays.binarySearch(tokens, token);
    int index = i >= 0 ? i + 1 : -i - 1;
    return index % tokens.length;
  }

  private static double unsignedToDouble(long value) {
    double d = (double) (value >>> 1) * 2.0;
    return d + (value & 1);
  }
}
