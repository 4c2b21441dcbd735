package kv.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import kv.common.error.ErrorCode;
import kv.common.wire.ErrorBody;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * An answer a protection handler gives before any route runs: the JSON error body is serialized
 * once, when the server starts. {@code retryAfter} adds {@code Retry-After: 1} (load shedding).
 */
record Refusal(ErrorCode code, byte[] body, boolean retryAfter) {
  private static final HttpField JSON =
      new HttpField(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
  private static final HttpField RETRY_AFTER = new HttpField(HttpHeader.RETRY_AFTER, "1");

  static Refusal of(ObjectMapper mapper, ErrorCode code, String message, boolean retryAfter) {
    ErrorBody error = ErrorBody.of(code, message);
    try {
      return new Refusal(code, mapper.writeValueAsBytes(error), retryAfter);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + error, e);
    }
  }

  void write(Response response, Callback callback) {
    response.setStatus(code.httpStatus());
    response.getHeaders().put(JSON);
    if (retryAfter) {
      response.getHeaders().put(RETRY_AFTER);
    }
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
