package kv.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HttpResponseException;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.ErrorBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where an exception becomes an HTTP status, shared by the seed and the nodes. Every
 * error body is an {@link ErrorBody}, including those Javalin (unknown path, wrong method) and
 * Jetty (malformed request line, oversized headers) produce before a handler runs.
 */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  public static void install(JavalinConfig config, ObjectMapper mapper) {
    config.http.prefer405over404 = true;
    config.routes.exception(
        KvException.class,
        (e, ctx) -> {
          ctx.status(e.code().httpStatus()).json(ErrorBody.of(e));
        });
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          ErrorCode code = codeFor(e.getStatus());
          ctx.status(e.getStatus())
              .json(ErrorBody.of(code, describe(e, ctx.method().name(), ctx.path())));
        });
    config.routes.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("Unhandled error serving {} {}", ctx.method(), ctx.path(), e);
          ctx.status(500)
              .json(ErrorBody.of(ErrorCode.INTERNAL, "internal error; see the node's log"));
        });
    JsonErrorHandler jettyErrors = new JsonErrorHandler(mapper);
    config.jetty.modifyServer(server -> server.setErrorHandler(jettyErrors.forServer()));
    config.jetty.modifyServletContextHandler(
        context -> context.setErrorHandler(jettyErrors.forServletContext()));
  }

  static ErrorCode codeFor(int status) {
    return switch (status) {
      case 401 -> ErrorCode.UNAUTHORIZED;
      case 404 -> ErrorCode.NOT_FOUND;
      case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
      case 408 -> ErrorCode.REQUEST_TIMEOUT;
      case 413 -> ErrorCode.VALUE_TOO_LARGE;
      case 503 -> ErrorCode.UNAVAILABLE;
      default -> status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
    };
  }

  private static String describe(HttpResponseException e, String method, String path) {
    return switch (e.getStatus()) {
      case 404 -> "no such endpoint: " + method + " " + path;
      case 405 -> "method " + method + " is not allowed on " + path;
      default -> e.getMessage();
    };
  }
}
