package kv.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import java.util.function.Predicate;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Configures the Jetty server under Javalin so that load and slow or hostile clients cannot take
 * a service down: a bounded thread pool, the in-flight request limit, idle and
 * header timeouts, an 8 KiB header limit, and a graceful stop that lets requests in flight finish.
 */
public final class ServerProtection {
  private static final int MAX_THREADS = 200;
  private static final int MIN_THREADS = 8;
  private static final long SHUTDOWN_IDLE_MILLIS = 100;

  private ServerProtection() {}

  /**
   * Installs the protections; the server then listens on {@code bind:port} (start it with {@code
   * Javalin.start()}, no arguments). {@code limited} says which paths count against
   * {@link HttpLimits#maxInFlight()}; {@code onRejected} runs for each request refused.
   */
  public static void install(JavalinConfig config, String bind, int port, HttpLimits limits,
      Predicate<String> limited, Runnable onRejected, ObjectMapper mapper) {
    // At most MAX_THREADS threads. The job queue stays unbounded as Jetty requires (a bounded one
    // makes it drop its own selector and connection jobs); MAX_IN_FLIGHT bounds the requests.
    QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS, 60_000);
    threads.setName("http");
    config.jetty.threadPool = threads;
    config.jetty.modifyHttpConfiguration(http -> {
      http.setRequestHeaderSize(HttpLimits.MAX_HEADER_BYTES);
      http.setSendServerVersion(false);
    });
    config.jetty.addConnector((server, http) -> {
      ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
      connector.setHost(bind);
      connector.setPort(port);
      connector.setIdleTimeout(limits.idleTimeout().toMillis());
      connector.addBean(new HeaderDeadline(server.getScheduler(), limits.headerTimeout()));
      return connector;
    });
    config.jetty.modifyServer(server -> {
      GracefulHandler graceful = new GracefulHandler(); // on stop: finish requests in flight
      graceful.setShutdownIdleTimeout(SHUTDOWN_IDLE_MILLIS); // idle keep-alives need no 1 s wait
      server.insertHandler(graceful);
      server.insertHandler(new InFlightLimit(limits.maxInFlight(), limited, onRejected, mapper));
      server.setStopTimeout(limits.stopTimeout().toMillis());
    });
  }
}
