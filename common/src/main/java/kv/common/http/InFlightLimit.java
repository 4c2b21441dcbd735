package kv.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import kv.common.error.ErrorCode;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts requests from their first byte of handling until their response completes (an asynchronous
 * one included) and refuses those past the limit with 503 {@code overloaded} at once, so an
 * overloaded node sheds load instead of queueing it until every caller times out. Only paths for
 * which {@code limited} is true are counted (a service has one limit for client requests and may
 * have another for replica traffic); the rest pass uncounted.
 */
final class InFlightLimit extends Handler.Wrapper {
  private final int max;
  private final Predicate<String> limited;
  private final Runnable onRejected;
  private final Refusal rejection;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** {@code what} and {@code setting} name the requests counted and their limit in the refusal. */
  InFlightLimit(
      int max,
      Predicate<String> limited,
      Runnable onRejected,
      ObjectMapper mapper,
      String what,
      String setting) {
    this.max = max;
    this.limited = limited;
    this.onRejected = onRejected;
    this.rejection =
        Refusal.of(
            mapper,
            ErrorCode.OVERLOADED,
            "this node has "
                + max
                + " "
                + what
                + " in flight ("
                + setting
                + "); retry shortly or ask another node",
            true);
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
      rejection.write(response, callback);
      return true;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release =
        () -> {
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
}
