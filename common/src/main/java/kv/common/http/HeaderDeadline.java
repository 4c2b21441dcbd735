package kv.common.http;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose request line and headers have not all arrived within {@code timeout} of
 * the request's first byte. Jetty's idle timeout alone does not stop a slowloris client, which
 * sends a byte just often enough to never be idle; Jetty 12 has no header timeout of its own, so
 * this listener tracks the open HTTP/1.1 connections of a connector and sweeps them every quarter
 * of the timeout (a connection is closed at most 1.25 x timeout after its request began).
 */
final class HeaderDeadline extends AbstractLifeCycle implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(HeaderDeadline.class);

  private final Scheduler scheduler;
  private final long timeoutNanos;
  private final long sweepMillis;
  private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();

  HeaderDeadline(Scheduler scheduler, Duration timeout) {
    this.scheduler = scheduler;
    this.timeoutNanos = timeout.toNanos();
    this.sweepMillis = Math.max(10, timeout.toMillis() / 4);
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.add(http);
    }
  }

  @Override
  public void onClosed(Connection connection) {
    open.remove(connection);
  }

  @Override
  protected void doStart() {
    scheduler.schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
  }

  private void sweep() {
    if (!isRunning()) {
      return;
    }
    try {
      long now = System.nanoTime(); // Jetty stamps a request's first byte with System.nanoTime()
      for (HttpConnection connection : open) {
        HttpParser parser = connection.getParser();
        if (inRequestHead(parser) && now - parser.getBeginNanoTime() > timeoutNanos) {
          log.debug(
              "Closing {}: request headers not complete within the header timeout",
              connection.getEndPoint().getRemoteSocketAddress());
          connection.getEndPoint().close();
        }
      }
    } catch (RuntimeException e) {
      log.error("Header deadline sweep failed; sweeping again shortly", e);
    } finally {
      scheduler.schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
    }
  }

  /** Past the first byte of a request but not yet past its headers. */
  private static boolean inRequestHead(HttpParser parser) {
    int state = parser.getState().ordinal();
    return state > HttpParser.State.START.ordinal() && state <= HttpParser.State.HEADER.ordinal();
  }
}
