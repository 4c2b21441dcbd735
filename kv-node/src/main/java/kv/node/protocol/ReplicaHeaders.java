package kv.node.protocol;

/** The headers that carry a record's metadata between nodes (values travel as raw bodies). */
public final class ReplicaHeaders {
  public static final String VERSION = "X-Kv-Version";
  public static final String TOMBSTONE = "X-Kv-Tombstone";

  /** One replica operation: {@code GET} reads, {@code PUT} writes; for operators and tests. */
  public static final String PATH = "/internal/kv";

  /**
   * {@code POST}: a batch of replica operations in {@link BatchCodec} frames, as peers send them.
   */
  public static final String BATCH_PATH = "/internal/batch";

  /** Query parameter of a hinted write: the node id of the replica the record is kept for. */
  public static final String HINT = "hint";

  /** On every node-to-node request and answer: the sender's member-list version. */
  public static final String VIEW = "X-Kv-View";

  /** On every node-to-node request: {@code host:port} where the sender is reached. */
  public static final String FROM = "X-Kv-From";

  /** {@code GET}: this node's member list, JSON, as the seed gave it; how a peer catches up. */
  public static final String VIEW_PATH = "/internal/view";

  private ReplicaHeaders() {}
}
