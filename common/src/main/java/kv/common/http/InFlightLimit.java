package kv.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import kv.common.error.ErrorCode;
import kv.common.wire.ErrorBody;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts requests from their first byte of handling until their response completes (an
 * asynchronous one included) and refuses those past the limit with 503 {@code overloaded} at once,
 * so an overloaded node sheds load instead of queueing it until every caller times out. Paths for
 * which {@code limited} is false (health checks, replica traffic that other nodes' limits already
 * bound) pass uncounted.
 */
final class InFlightLimit extends Handler.Wrapper {
  private static final HttpField JSON =
      new HttpField(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
  private static final HttpField RETRY_AFTER = new HttpField(HttpHeader.RETRY_AFTER, "1");

  private final int max;
  private final Predicate<String> limited;
  private final Runnable onRejected;
  private final byte[] rejection;
  private final AtomicInteger inFlight = new AtomicInteger();

  InFlightLimit(int max, Predicate<String> limited, Runnable onRejected, ObjectMapper mapper) {
    this.max = max;
    this.limited = limited;
    this.onRejected = onRejected;
    this.rejection = json(mapper, ErrorBody.of(ErrorCode.OVERLOADED, "this node has " + max
        + " requests in flight (MAX_IN_FLIGHT); retry shortly or ask another node"));
  }

  int inFlight() {
    return inFlight.get();
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!limited.test(Request.getPathInContext(request))) {
      return super.handle(request, response, callback);
    }
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      onRejected.run();
      response.setStatus(ErrorCode.OVERLOADED.httpStatus());
      response.getHeaders().put(JSON);
      response.getHeaders().put(RETRY_AFTER);
      response.write(true, ByteBuffer.wrap(rejection), callback);
      return true;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        inFlight.decrementAndGet();
      }
    };
    try {
      if (super.handle(request, response, Callback.from(callback, release))) {
        return true;
      }
      release.run();
      return false;
    } catch (Exception | Error e) {
      release.run();
      throw e;
    }
  }

  private static byte[] json(ObjectMapper mapper, ErrorBody body) {
    try {
      return mapper.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + body, e);
    }
  }
}
