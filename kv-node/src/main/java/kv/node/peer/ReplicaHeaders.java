package kv.node.peer;

/** The headers that carry a record's metadata between nodes (values travel as raw bodies). */
public final class ReplicaHeaders {
  public static final String VERSION = "X-Kv-Version";
  public static final String TOMBSTONE = "X-Kv-Tombstone";
  public static final String PATH = "/internal/kv";
  /** Query parameter of a hinted write: the node id of the replica the record is kept for. */
  public static final String HINT = "hint";

  private ReplicaHeaders() {}
}
