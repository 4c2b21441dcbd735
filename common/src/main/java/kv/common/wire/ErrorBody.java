package kv.common.wire;

import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.error.QuorumNotMetException;

/**
 * Every error response: {@code {"error": "<code>", "message": "<what and why>"}}; a quorum failure
 * adds how many replicas were needed and how many answered.
 */
public record ErrorBody(String error, String message, Integer required, Integer acknowledged) {
  public static ErrorBody of(KvException e) {
    if (e instanceof QuorumNotMetException q) {
      return new ErrorBody(e.code().wireName(), e.getMessage(), q.required(), q.acknowledged());
    }
    return of(e.code(), e.getMessage());
  }

  public static ErrorBody of(ErrorCode code, String message) {
    return new ErrorBody(code.wireName(), message, null, null);
  }
}
