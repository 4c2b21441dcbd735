package kv.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import kv.common.wire.ErrorBody;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Renders errors that Jetty raises before any route runs (an unparseable request line, oversized
 * headers, a bad Content-Length) as the same JSON error body the routes use. Two flavours: one for
 * the server (connection-level errors) and one for the servlet context (errors met while
 * dispatching), because Jetty consults each at its own level.
 */
final class JsonErrorHandler {
  private static final HttpField JSON =
      new HttpField(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");

  private final ObjectMapper mapper;

  JsonErrorHandler(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  ErrorHandler forServer() {
    return new ErrorHandler() {
      @Override
      protected void generateResponse(
          Request request,
          Response response,
          int code,
          String message,
          Throwable cause,
          Callback callback) {
        writeJson(response, code, message, callback);
      }

      @Override
      public boolean errorPageForMethod(String method) {
        return true; // Jetty's default renders bodies for GET, POST and HEAD only
      }

      @Override
      public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(JSON);
        return body(status, reason);
      }
    };
  }

  org.eclipse.jetty.ee10.servlet.ErrorHandler forServletContext() {
    return new org.eclipse.jetty.ee10.servlet.ErrorHandler() {
      @Override
      public boolean errorPageForMethod(String method) {
        return true;
      }

      @Override
      protected boolean generateAcceptableResponse(
          Request request,
          Response response,
          Callback callback,
          String contentType,
          List<Charset> charsets,
          int code,
          String message,
          Throwable cause)
          throws IOException {
        writeJson(response, code, message, callback);
        return true;
      }
    };
  }

  private void writeJson(Response response, int code, String message, Callback callback) {
    int status = clientStatus(code);
    if (status != code) {
      response.setStatus(status);
    }
    response.getHeaders().put(JSON);
    response.write(true, body(status, status != code ? describe(code) : message), callback);
  }

  /**
   * Jetty answers a request line with an unknown HTTP version 505. The request is malformed and the
   * fault is the client's, and no malformed request may get a 5xx, so it becomes a 400.
   */
  static int clientStatus(int code) {
    return code == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505 ? HttpStatus.BAD_REQUEST_400 : code;
  }

  private static String describe(int code) {
    return HttpStatus.getMessage(code) + " (HTTP/1.1 and HTTP/1.0 are)";
  }

  private ByteBuffer body(int status, String reason) {
    String message =
        status == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431
            ? "request line and headers exceed " + HttpLimits.MAX_HEADER_BYTES + " bytes"
            : reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
    ErrorBody error =
        ErrorBody.of(
            HttpErrors.codeFor(status), status < 500 ? "malformed request: " + message : message);
    try {
      return ByteBuffer.wrap(mapper.writeValueAsBytes(error));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + error, e);
    }
  }
}
