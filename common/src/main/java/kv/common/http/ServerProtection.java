package kv.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import java.util.function.Consumer;
import java.util.function.Predicate;
import kv.common.error.ErrorCode;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Configures the Jetty server under Javalin so that load and slow or hostile clients cannot take a
 * service down: a bounded thread pool; request bodies read in full without a thread, within a
 * deadline and a budget of bytes in flight ({@link BodyBuffer}); the in-flight request limits; idle
 * and header timeouts; an 8 KiB header limit; and a graceful stop that lets requests in flight
 * finish. Handlers, outermost first: body buffer, client limit, replica limit, graceful stop,
 * Javalin.
 */
public final class ServerProtection {
  private static final int MAX_THREADS = 200;
  private static final int MIN_THREADS = 8;
  private static final long SHUTDOWN_IDLE_MILLIS = 100;

  /**
   * The largest body read ahead for a service that names no figure of its own (the seed, whose
   * bodies are JSON of a few hundred bytes): a larger one goes on unread, so the route refuses it
   * (401 for a stranger, 413) without the service ever reading it.
   */
  public static final int DEFAULT_MAX_BODY_BYTES = 64 << 10;

  private ServerProtection() {}

  /**
   * What the protections need to know of a service's routes: which paths count against {@link
   * HttpLimits#maxInFlight()} ({@code client}) and which against {@link
   * HttpLimits#maxInternalInFlight()} ({@code internal}; the rest, such as health checks, pass
   * uncounted), and the largest body any route accepts ({@code maxBodyBytes}).
   */
  public record Paths(Predicate<String> client, Predicate<String> internal, int maxBodyBytes) {}

  /**
   * As {@link #install(JavalinConfig, String, int, HttpLimits, Paths, ByteBudget, Consumer,
   * ObjectMapper)} for a service with no replica routes and bodies up to {@link
   * #DEFAULT_MAX_BODY_BYTES}; {@code onRejected} runs for each request refused as overloaded.
   */
  public static void install(
      JavalinConfig config,
      String bind,
      int port,
      HttpLimits limits,
      Predicate<String> limited,
      Runnable onRejected,
      ObjectMapper mapper) {
    install(
        config,
        bind,
        port,
        limits,
        new Paths(limited, path -> false, DEFAULT_MAX_BODY_BYTES),
        new ByteBudget(limits.maxBytesInFlight()),
        code -> {
          if (code == ErrorCode.OVERLOADED) {
            onRejected.run();
          }
        },
        mapper);
  }

  /**
   * Installs the protections; the server then listens on {@code bind:port} (start it with {@code
   * Javalin.start()}, no arguments). Request bodies are read only within {@code bytes} (its bound
   * is {@link HttpLimits#maxBytesInFlight()}; the service may reserve from it too). {@code
   * onRefused} hears of each request refused before any route ran: {@code OVERLOADED} (503) or
   * {@code REQUEST_TIMEOUT} (408).
   */
  public static void install(
      JavalinConfig config,
      String bind,
      int port,
      HttpLimits limits,
      Paths paths,
      ByteBudget bytes,
      Consumer<ErrorCode> onRefused,
      ObjectMapper mapper) {
    // At most MAX_THREADS threads. The job queue stays unbounded as Jetty requires (a bounded one
    // makes it drop its own selector and connection jobs); the in-flight limits bound requests,
    // and no thread waits for a body (BodyBuffer reads it first).
    QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS, 60_000);
    threads.setName("http");
    config.jetty.threadPool = threads;
    config.jetty.modifyHttpConfiguration(
        http -> {
          http.setRequestHeaderSize(HttpLimits.MAX_HEADER_BYTES);
          http.setSendServerVersion(false);
        });
    config.jetty.addConnector(
        (server, http) -> {
          ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
          connector.setHost(bind);
          connector.setPort(port);
          connector.setIdleTimeout(limits.idleTimeout().toMillis());
          connector.addBean(new HeaderDeadline(server.getScheduler(), limits.headerTimeout()));
          return connector;
        });
    Runnable overloaded = () -> onRefused.accept(ErrorCode.OVERLOADED);
    config.jetty.modifyServer(
        server -> {
          GracefulHandler graceful = new GracefulHandler(); // on stop: finish requests in flight
          graceful.setShutdownIdleTimeout(
              SHUTDOWN_IDLE_MILLIS); // idle keep-alives need no 1 s wait
          server.insertHandler(graceful);
          server.insertHandler(
              new InFlightLimit(
                  limits.maxInternalInFlight(),
                  paths.internal(),
                  overloaded,
                  mapper,
                  "replica requests",
                  "MAX_INTERNAL_IN_FLIGHT"));
          server.insertHandler(
              new InFlightLimit(
                  limits.maxInFlight(),
                  paths.client(),
                  overloaded,
                  mapper,
                  "requests",
                  "MAX_IN_FLIGHT"));
          server.insertHandler(
              new BodyBuffer(
                  server.getScheduler(),
                  limits.bodyTimeout(),
                  bytes,
                  paths.maxBodyBytes(),
                  onRefused,
                  mapper));
          server.setStopTimeout(limits.stopTimeout().toMillis());
        });
  }
}
