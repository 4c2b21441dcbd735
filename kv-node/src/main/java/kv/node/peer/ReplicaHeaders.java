package kv.node.peer;

/** The headers that carry a record's metadata between nodes (values travel as raw bodies). */
public final class ReplicaHeaders {
  public static final String VERSION = "X-Kv-Version";
  public static final String TOMBSTONE = "X-Kv-Tombstone";
  public static final String PATH = "/internal/kv";

  private ReplicaHeaders() {}
}
