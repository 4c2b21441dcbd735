package kv.common.wire;

/** The body of {@code GET /health}. */
public record Health(Status status) {
  /** Whether the service takes requests. */
  public enum Status {
    UP,
    STARTING,
    STOPPING,
    /** The node's clock is off by more than MAX_CLOCK_OFFSET: it coordinates no write. */
    CLOCK_SKEW
  }
}
