package kv.node.protocol;

/** Paths and headers of the range operations replicas serve each other under {@code /internal}. */
public final class SyncProtocol {
  /** {@code GET ?start=&end=&depth=}: the range's Merkle leaves, 8 big-endian bytes each. */
  public static final String MERKLE = "/internal/merkle";

  /**
   * {@code GET ?start=&end=}: the range's records in {@code RecordCodec} frames, token order, at
   * most {@link #PAGE_BYTES} and the keys of one more token; when the page stops short of the
   * range's end, {@link #RESUME_AFTER} names the last token it holds and the caller asks for the
   * rest ({@code start=} that token).
   */
  public static final String RANGE = "/internal/range";

  /** On a {@link #RANGE} answer that is not the range's last page: the last token it holds. */
  public static final String RESUME_AFTER = "X-Kv-Resume-After";

  /** Bytes of records a {@link #RANGE} answer holds at most (plus one token's records). */
  public static final int PAGE_BYTES = BodyLimits.PAGE_BYTES;

  /** {@code POST}: records in {@code RecordCodec} frames, each kept if newer. */
  public static final String RECORDS = "/internal/records";

  /** {@code true} on a Merkle answer when the replica is still receiving part of the range. */
  public static final String PENDING = "X-Kv-Pending";

  private SyncProtocol() {}
}
