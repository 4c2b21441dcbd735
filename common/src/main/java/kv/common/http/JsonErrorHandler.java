package kv.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import kv.common.wire.ErrorBody;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Renders errors that Jetty raises before any route runs as the same JSON error body. */
final class JsonErrorHandler extends ErrorHandler {
  private static final HttpField JSON =
      new HttpField(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");

  private final ObjectMapper mapper;

  JsonErrorHandler(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  protected void generateResponse(
      Request request, Response response, int code, String message, Throwable cause, Callback callback)
      throws IOException {
    response.getHeaders().put(JSON);
    response.write(true, body(code, message), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(JSON);
    return body(status, reason);
  }

  private ByteBuffer body(int status, String reason) {
    String message = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
    ErrorBody error = ErrorBody.of(HttpErrors.codeFor(status), "malformed request: " + message);
    try {
      return ByteBuffer.wrap(mapper.writeValueAsBytes(error));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + error, e);
    }
  }
}
