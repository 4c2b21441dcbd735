package kv.common.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus metrics for a service: JVM and process meters, a latency histogram of every HTTP
 * request by method, route and status ({@code http_server_requests_seconds}), and the scrape
 * endpoint {@code GET /metrics}. Requests to paths that are not routes count as {@code
 * uri="UNKNOWN"}, so junk paths cannot blow up the number of series.
 */
public final class HttpMetrics {
  /** Where the Prometheus text is served. */
  public static final String PATH = "/metrics";

  private final PrometheusMeterRegistry registry;
  private final Set<String> routes;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  private HttpMetrics(PrometheusMeterRegistry registry, Set<String> routes) {
    this.registry = registry;
    this.routes = Set.copyOf(routes);
  }

  /** A registry with the JVM and process meters bound; one per service instance. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /** Times every request and serves {@code GET /metrics}; {@code routes} are the known paths. */
  public static void install(
      JavalinConfig config, PrometheusMeterRegistry registry, Set<String> routes) {
    HttpMetrics metrics = new HttpMetrics(registry, routes);
    config.requestLogger.http(metrics::record);
    config.routes.get(
        PATH,
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape()));
  }

  private void record(Context ctx, Float millis) {
    String uri = routes.contains(ctx.path()) ? ctx.path() : "UNKNOWN";
    String method = ctx.method().name();
    int status = ctx.statusCode();
    String id = method + ' ' + uri + ' ' + status;
    timers
        .computeIfAbsent(
            id,
            k ->
                Timer.builder("http.server.requests")
                    .description("HTTP requests by method, route and status")
                    .tags("method", method, "uri", uri, "status", String.valueOf(status))
                    .publishPercentileHistogram()
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry))
        .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
  }
}
