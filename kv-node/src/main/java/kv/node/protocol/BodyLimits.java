package kv.node.protocol;

/**
 * Every request-body limit of a node, derived in one place from {@code MAX_VALUE_BYTES}: what a
 * client may send, what a peer's batch or push may weigh (senders fill batches up to {@link
 * #BATCH_BYTES} or {@link #PUSH_BYTES}, and one operation may carry a largest value beyond that),
 * and the largest body the server reads at all.
 */
public record BodyLimits(int maxValueBytes) {
  /** What a sender puts in one batch of replica operations, beyond its first operation. */
  public static final int BATCH_BYTES = 256 << 10;

  /** What a range transfer puts in one push of records, beyond its first record. */
  public static final int PUSH_BYTES = 4 << 20;

  /** What one answer of {@code GET /internal/range} holds, plus the keys of one more token. */
  public static final int PAGE_BYTES = 256 << 10;

  /** Frames, keys and versions around the values: far more than a key of 1 KiB needs. */
  private static final int SLACK = 64 << 10;

  public BodyLimits {
    if (maxValueBytes < 0) {
      throw new IllegalArgumentException("maxValueBytes < 0: " + maxValueBytes);
    }
  }

  /** The largest {@code POST /internal/batch} body a node accepts. */
  public int maxBatchBody() {
    return BATCH_BYTES + maxValueBytes + SLACK;
  }

  /** The largest {@code POST /internal/records} body a node accepts. */
  public int maxPushBody() {
    return PUSH_BYTES + maxValueBytes + SLACK;
  }

  /** The largest body of any route: the server refuses anything larger before reading it. */
  public int maxBody() {
    return Math.max(maxValueBytes, Math.max(maxBatchBody(), maxPushBody()));
  }

  /** How a refusal of an oversized batch names the limit. */
  public String batchLimit() {
    return "a batch's limit: 256 KiB plus MAX_VALUE_BYTES and 64 KiB";
  }

  /** How a refusal of an oversized push names the limit. */
  public String pushLimit() {
    return "a push batch's limit: 4 MiB plus MAX_VALUE_BYTES and 64 KiB";
  }
}
