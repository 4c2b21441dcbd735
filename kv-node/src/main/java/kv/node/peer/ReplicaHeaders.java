package kv.node.peer;

/** The headers that carry a record's metadata between nodes (values travel as raw bodies). */
public final class ReplicaHeaders {
  public static final String VERSION = "X-Kv-Version";
  public static final String TOMBSTONE = "X-Kv-Tombstone";
  /** One replica operation: {@code GET} reads, {@code PUT} writes; for operators and tests. */
  public static final String PATH = "/internal/kv";
  /** {@code POST}: a batch of replica operations in {@link BatchCodec} frames, as peers send them. */
  public static final String BATCH_PATH = "/internal/batch";
  /** Query parameter of a hinted write: the node id of the replica the record is kept for. */
  public static final String HINT = "hint";

  private ReplicaHeaders() {}
}
