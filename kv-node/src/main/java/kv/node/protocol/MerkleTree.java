package kv.node.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kv.common.Key;
import kv.common.Murmur3;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.Versioned;

/**
 * A hash tree over the records of one token range, as Dynamo and Cassandra use to find where two
 * replicas differ without sending the data. The range is cut into {@code 2^depth} equal slices of
 * the token space; a leaf is the sum of the hashes of its slice's records (key, version, tombstone
 * flag and value bytes), so it does not depend on iteration order; each inner node hashes its two
 * children. Equal roots mean byte-identical ranges (up to a 64-bit hash collision). Replicas send
 * each other only the leaves; each side rebuilds the inner levels and descends from the root.
 */
public final class MerkleTree {
  /** 64 leaves: a few bytes per range on the wire, a few dozen keys per leaf at a million keys. */
  public static final int DEFAULT_DEPTH = 6;

  public static final int MAX_DEPTH = 16;

  private final TokenRange range;
  private final long[][] levels; // levels[0] = {root}, levels[depth] = leaves
  private final long sliceWidth; // unsigned width of a leaf's slice in tokens

  private MerkleTree(TokenRange range, long[] leaves) {
    this.range = range;
    int depth = Integer.numberOfTrailingZeros(leaves.length);
    this.levels = new long[depth + 1][];
    levels[depth] = leaves;
    for (int d = depth - 1; d >= 0; d--) {
      long[] below = levels[d + 1];
      long[] level = new long[below.length / 2];
      for (int i = 0; i < level.length; i++) {
        level[i] = combine(below[2 * i], below[2 * i + 1]);
      }
      levels[d] = level;
    }
    this.sliceWidth = sliceWidth(range, leaves.length);
  }

  /** Hashes every record {@code storage} holds in {@code range}: one scan of the range. */
  public static MerkleTree build(StorageEngine storage, TokenRange range, int depth) {
    long[] leaves = new long[1 << checkDepth(depth)];
    long width = sliceWidth(range, leaves.length);
    storage.scan(
        range, (key, record) -> leaves[leafOf(range, width, key.token())] += hash(key, record));
    return new MerkleTree(range, leaves);
  }

  /** A tree from leaves another replica sent; their count must be a power of two. */
  public static MerkleTree ofLeaves(TokenRange range, long[] leaves) {
    if (leaves.length == 0
        || Integer.bitCount(leaves.length) != 1
        || leaves.length > 1 << MAX_DEPTH) {
      throw new IllegalArgumentException(
          "leaf count must be a power of two up to 2^" + MAX_DEPTH + ", got " + leaves.length);
    }
    return new MerkleTree(range, leaves.clone());
  }

  public static int checkDepth(int depth) {
    if (depth < 0 || depth > MAX_DEPTH) {
      throw new IllegalArgumentException("depth must be 0.." + MAX_DEPTH + ", got " + depth);
    }
    return depth;
  }

  public TokenRange range() {
    return range;
  }

  public long root() {
    return levels[0][0];
  }

  public int depth() {
    return levels.length - 1;
  }

  public long[] leaves() {
    return levels[depth()].clone();
  }

  /**
   * The slices where this tree and {@code other} (same range and depth) differ, found by descending
   * from the root into differing children only; runs of adjacent differing leaves come back as one
   * range of at most {@code maxLeavesPerRange} leaves.
   */
  public List<TokenRange> differences(MerkleTree other, int maxLeavesPerRange) {
    if (!range.equals(other.range) || depth() != other.depth()) {
      throw new IllegalArgumentException(
          "trees of different shape: "
              + range
              + "/"
              + depth()
              + " versus "
              + other.range
              + "/"
              + other.depth());
    }
    List<Integer> leaves = new ArrayList<>();
    collect(other, 0, 0, leaves);
    List<TokenRange> ranges = new ArrayList<>();
    int i = 0;
    while (i < leaves.size()) {
      int first = leaves.get(i);
      int last = first;
      while (i + 1 < leaves.size()
          && leaves.get(i + 1) == last + 1
          && last + 1 - first < maxLeavesPerRange) {
        last = leaves.get(++i);
      }
      ranges.add(slice(first, last));
      i++;
    }
    return ranges;
  }

  private void collect(MerkleTree other, int level, int index, List<Integer> out) {
    if (levels[level][index] == other.levels[level][index]) {
      return;
    }
    if (level == depth()) {
      out.add(index);
      return;
    }
    collect(other, level + 1, 2 * index, out);
    collect(other, level + 1, 2 * index + 1, out);
  }

  /** The tokens of leaves {@code first..last}: after the slice before them, up to their end. */
  private TokenRange slice(int first, int last) {
    long start = range.start() + first * sliceWidth;
    long end = last == (1 << depth()) - 1 ? range.end() : range.start() + (last + 1) * sliceWidth;
    return new TokenRange(start, end);
  }

  /**
   * Unsigned ceiling of the range's width over {@code leaves} (a whole ring is 2^64 wide); 0 stands
   * for 2^64, the width of the single leaf of a depth-0 tree of the whole ring.
   */
  private static long sliceWidth(TokenRange range, int leaves) {
    long span =
        range.end() - range.start() - 1; // width - 1, unsigned; -1 (2^64 - 1) for a whole ring
    return Long.divideUnsigned(span, leaves) + 1;
  }

  private static int leafOf(TokenRange range, long sliceWidth, long token) {
    return sliceWidth == 0 ? 0 : (int) Long.divideUnsigned(token - range.start() - 1, sliceWidth);
  }

  static long hash(Key key, Versioned record) {
    byte[] k = key.utf8();
    byte[] coordinator = record.version().coordinator().value().getBytes(StandardCharsets.US_ASCII);
    byte[] value = record.value().toBytes();
    ByteBuffer bytes =
        ByteBuffer.allocate(4 + k.length + 8 + 1 + coordinator.length + 1 + value.length);
    bytes
        .putInt(k.length)
        .put(k)
        .putLong(record.version().timestamp())
        .put((byte) coordinator.length)
        .put(coordinator)
        .put((byte) (record.isTombstone() ? 1 : 0))
        .put(value);
    return Murmur3.hash64(bytes.array());
  }

  private static long combine(long left, long right) {
    return Murmur3.hash64(ByteBuffer.allocate(16).putLong(left).putLong(right).array());
  }

  @Override
  public String toString() {
    return "MerkleTree"
        + range
        + " depth "
        + depth()
        + " root "
        + Long.toHexString(root())
        + " leaves "
        + Arrays.stream(levels[depth()]).filter(l -> l != 0).count()
        + " non-empty";
  }
}
