package kv.common.error;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every failure a client or a peer can be told about, with its wire name and HTTP status. Both
 * directions use this one table: servers render {@link #httpStatus()} and {@link #wireName()}, and
 * clients turn a received {@code error} field back into the same code with {@link #fromWire}.
 */
public enum ErrorCode {
  BAD_REQUEST("bad_request", 400),
  UNAUTHORIZED("unauthorized", 401),
  /** A heartbeat or deregistration for a live node without that node's credential. */
  WRONG_CREDENTIAL("wrong_credential", 403),
  NOT_FOUND("not_found", 404),
  UNKNOWN_NODE("unknown_node", 404),
  METHOD_NOT_ALLOWED("method_not_allowed", 405),
  REQUEST_TIMEOUT("request_timeout", 408),
  /** A registration for an id a live node holds, without that node's credential. */
  ID_IN_USE("id_in_use", 409),
  VALUE_TOO_LARGE("value_too_large", 413),
  QUORUM_NOT_MET("quorum_not_met", 503),
  UNAVAILABLE("unavailable", 503),
  TIMEOUT("timeout", 503),
  OVERLOADED("overloaded", 503),
  /**
   * A replica refused a write its coordinator placed with an older member list than the replica's,
   * on which the key's replicas differ; the coordinator catches up and places it again.
   */
  STALE_VIEW("stale_view", 503),
  /** A timestamp (or this node's clock) is further off than MAX_CLOCK_OFFSET allows. */
  CLOCK_SKEW("clock_skew", 503),
  INTERNAL("internal", 500);

  private final String wireName;
  private final int httpStatus;

  ErrorCode(String wireName, int httpStatus) {
    this.wireName = wireName;
    this.httpStatus = httpStatus;
  }

  public String wireName() {
    return wireName;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public static Optional<ErrorCode> fromWire(String name) {
    return Arrays.stream(values()).filter(c -> c.wireName.equals(name)).findFirst();
  }
}
