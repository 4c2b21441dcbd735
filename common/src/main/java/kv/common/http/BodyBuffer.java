package kv.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import kv.common.error.ErrorCode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every request body in full, without a thread, before the request is handled, so that a
 * client sending its body slowly holds no thread (200 bodies at 1 byte/s used to take all of
 * Jetty's threads and stop a node). Three limits apply while a body arrives:
 *
 * <ul>
 *   <li>bytes in flight: a body is read only if it fits in the {@link ByteBudget} (counted from
 *       Content-Length up front or as chunks arrive), and holds its bytes until its response is
 *       done; one that does not fit is answered {@code 503 overloaded} with Retry-After at once
 *       (one body is always admitted when nothing is in flight, so nothing is refused forever);
 *   <li>a deadline: the whole body must arrive within {@code timeout} of the headers, or the
 *       request is answered {@code 408 request_timeout} and the connection closed;
 *   <li>size: a body declared larger than {@code maxBodyBytes} is passed on unread (the route
 *       refuses it with its own 413); a chunked one is read to one byte past the limit at most,
 *       then passed on for the route to refuse.
 * </ul>
 *
 * Requests are handled, and counted against the in-flight request limits, only once their body is
 * here. Jetty 12 declares a minimum request data rate but does not enforce it, so this handler
 * takes that job.
 */
final class BodyBuffer extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(BodyBuffer.class);
  private static final HttpField CLOSE =
      new HttpField(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());

  private final Scheduler scheduler;
  private final long timeoutMillis;
  private final ByteBudget budget;
  private final int maxBodyBytes;
  private final Consumer<ErrorCode> onRefused;
  private final Refusal overloaded;
  private final Refusal timedOut;
  private final Refusal cutShort;

  BodyBuffer(
      Scheduler scheduler,
      Duration timeout,
      ByteBudget budget,
      int maxBodyBytes,
      Consumer<ErrorCode> onRefused,
      ObjectMapper mapper) {
    this.scheduler = scheduler;
    this.timeoutMillis = timeout.toMillis();
    this.budget = budget;
    this.maxBodyBytes = maxBodyBytes;
    this.onRefused = onRefused;
    this.overloaded =
        Refusal.of(
            mapper,
            ErrorCode.OVERLOADED,
            "this node holds "
                + budget.max()
                + " bytes of values in flight (MAX_BYTES_IN_FLIGHT); retry shortly or ask "
                + "another node",
            true);
    this.timedOut =
        Refusal.of(
            mapper,
            ErrorCode.REQUEST_TIMEOUT,
            "the request body did not "
                + "arrive within "
                + timeout
                + " of its headers (BODY_TIMEOUT)",
            false);
    this.cutShort =
        Refusal.of(
            mapper,
            ErrorCode.BAD_REQUEST,
            "the request body ended before the "
                + "Content-Length it announced: the client closed the connection early",
            false);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    long declared = request.getLength(); // -1: unknown, chunked
    boolean chunked = declared < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    if (declared == 0 || (declared < 0 && !chunked) || declared > maxBodyBytes) {
      return super.handle(request, response, callback); // no body to wait for, or refused unread
    }
    long reserved = Math.max(declared, 0);
    if (!budget.tryReserve(reserved)) {
      refuse(overloaded, response, callback);
      return true;
    }
    new Loading(request, response, callback, declared, reserved).start();
    return true;
  }

  private void refuse(Refusal refusal, Response response, Callback callback) {
    onRefused.accept(refusal.code());
    response.getHeaders().put(CLOSE); // the body was not read: the connection cannot be reused
    refusal.write(response, callback);
  }

  /**
   * One body on its way in. Each step runs on the thread that finds content (the handling thread at
   * first, a demand callback later) or on the scheduler's when the deadline passes; the state
   * changes under this object's lock, writes happen outside it.
   */
  private final class Loading implements Runnable {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final byte[] fixed; // the declared length, or null when chunked
    private final ByteArrayOutputStream chunked;
    private Scheduler.Task deadline; // set by start(), under the lock
    private int length;
    private long reserved;
    private boolean settled; // handed on, refused or failed: nothing more to read

    Loading(Request request, Response response, Callback callback, long declared, long reserved) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.fixed = declared > 0 ? new byte[(int) declared] : null;
      this.chunked = declared > 0 ? null : new ByteArrayOutputStream();
      this.reserved = reserved;
    }

    void start() {
      synchronized (this) {
        deadline = scheduler.schedule(this::timeOut, timeoutMillis, TimeUnit.MILLISECONDS);
      }
      run();
    }

    /** Takes whatever content is available, and asks to be called again for more. */
    @Override
    public void run() {
      while (true) {
        if (isSettled()) {
          return;
        }
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          fail(chunk.getFailure());
          return;
        }
        Step step;
        try {
          step = take(chunk.getByteBuffer(), chunk.isLast());
        } finally {
          chunk.release();
        }
        if (step == Step.REFUSE) {
          refuse(overloaded, response, callback);
          return;
        }
        if (step == Step.COMPLETE) {
          handOn();
          return;
        }
      }
    }

    private enum Step {
      MORE,
      COMPLETE,
      REFUSE
    }

    private synchronized boolean isSettled() {
      return settled;
    }

    private synchronized Step take(ByteBuffer bytes, boolean last) {
      if (settled) {
        return Step.MORE; // the next pass sees it and stops
      }
      int n = bytes.remaining();
      if (fixed != null) {
        n = Math.min(n, fixed.length - length); // Jetty stops at Content-Length; never past it
        bytes.get(fixed, length, n);
      } else {
        if (!budget.tryReserve(n)) {
          settle();
          return Step.REFUSE;
        }
        reserved += n;
        byte[] copy = new byte[n];
        bytes.get(copy);
        chunked.write(copy, 0, n);
      }
      length += n;
      if (last || length > maxBodyBytes) { // past the limit: the route refuses it, unread further
        settled = true;
        deadline.cancel(); // the bytes stay reserved until the response is done
        return Step.COMPLETE;
      }
      return Step.MORE;
    }

    /** Hands the request on with its body; the bytes stay reserved until the response is done. */
    private void handOn() {
      ByteBuffer body =
          fixed != null
              ? ByteBuffer.wrap(fixed, 0, length)
              : ByteBuffer.wrap(chunked.toByteArray());
      Request buffered = new Buffered(request, body);
      Callback done = Callback.from(callback, this::release);
      try {
        Handler next = getHandler();
        if (next == null || !next.handle(buffered, response, done)) {
          Response.writeError(buffered, response, done, 404);
        }
      } catch (Throwable t) { // as Jetty does for a handler that throws
        Response.writeError(buffered, response, done, t);
      }
    }

    private void timeOut() {
      synchronized (this) {
        if (settled) {
          return;
        }
        settle();
      }
      log.debug(
          "Request body from {} incomplete after {} ms ({} bytes): 408",
          request.getConnectionMetaData().getRemoteSocketAddress(),
          timeoutMillis,
          length);
      refuse(timedOut, response, callback);
    }

    private void fail(Throwable failure) {
      synchronized (this) {
        if (settled) {
          return;
        }
        settle();
      }
      if (failure instanceof TimeoutException) { // Jetty's idle timeout while the body arrived
        refuse(timedOut, response, callback);
      } else if (failure instanceof EofException) { // half-closed: it may still read an answer
        response.getHeaders().put(CLOSE);
        cutShort.write(response, callback);
      } else {
        callback.failed(failure); // the client went away, or sent malformed chunks (400)
      }
    }

    /** No body will be handled: the reservation goes back at once. Holds the lock. */
    private void settle() {
      settled = true;
      deadline.cancel();
      release();
    }

    private synchronized void release() {
      budget.release(reserved);
      reserved = 0;
    }
  }

  /** The original request with its body already read: one chunk, then the end. */
  private static final class Buffered extends Request.Wrapper {
    private final AtomicReference<Content.Chunk> body;

    Buffered(Request request, ByteBuffer bytes) {
      super(request);
      this.body = new AtomicReference<>(Content.Chunk.from(bytes, true));
    }

    @Override
    public Content.Chunk read() {
      return body.getAndSet(Content.Chunk.EOF);
    }

    @Override
    public void demand(Runnable demandCallback) {
      demandCallback.run(); // the rest (the end) is always here
    }

    @Override
    public boolean consumeAvailable() {
      body.set(Content.Chunk.EOF);
      return true;
    }

    @Override
    public void fail(Throwable failure) {
      body.set(Content.Chunk.from(failure, true));
    }
  }
}
