package kv.node.peer;

/** Paths and headers of the range operations replicas serve each other under {@code /internal}. */
public final class SyncProtocol {
  /** {@code GET ?start=&end=&depth=}: the range's Merkle leaves, 8 big-endian bytes each. */
  public static final String MERKLE = "/internal/merkle";
  /** {@code GET ?start=&end=}: every record in the range, in {@code RecordCodec} frames. */
  public static final String RANGE = "/internal/range";
  /** {@code POST}: records in {@code RecordCodec} frames, each kept if newer. */
  public static final String RECORDS = "/internal/records";
  /** {@code true} on a Merkle answer when the replica is still receiving part of the range. */
  public static final String PENDING = "X-Kv-Pending";

  private SyncProtocol() {}
}
