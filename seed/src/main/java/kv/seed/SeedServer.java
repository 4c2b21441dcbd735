package kv.seed;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import kv.common.Json;
import kv.common.NodeId;
import kv.common.http.HttpErrors;
import kv.common.http.HttpMetrics;
import kv.common.http.ServerProtection;
import kv.seed.api.MembershipRoutes;
import kv.seed.membership.MemberRegistry;
import kv.seed.membership.MemberWatches;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The seed's composition root: registry, HTTP API and the expiry task. */
public final class SeedServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SeedServer.class);

  private static final Set<String> ROUTES =
      Set.of("/register", "/heartbeat", "/deregister", "/members", "/health", "/metrics");

  private final MemberRegistry registry;
  private final MemberWatches watches;
  private final PrometheusMeterRegistry metrics = HttpMetrics.newRegistry();
  private final Counter expirations;
  private final Javalin http;
  private final ScheduledExecutorService scheduler;

  private SeedServer(SeedConfig config, Clock clock, boolean scheduleExpiry) {
    ObjectMapper mapper = Json.newMapper();
    this.registry =
        new MemberRegistry(
            clock,
            config.nodeTtl(),
            () -> NodeId.of("node-" + UUID.randomUUID().toString().substring(0, 8)));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "seed-timer"));
    this.watches =
        new MemberWatches(registry, scheduler, config.maxWatches(), config.maxWatchWait());
    MembershipRoutes routes =
        new MembershipRoutes(registry, watches, mapper, config.token(), clock);
    Counter overloaded =
        Counter.builder("seed.requests.overloaded")
            .description("Requests refused with 503 because MAX_IN_FLIGHT were in flight")
            .register(metrics);
    this.http =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              javalin.jsonMapper(new JavalinJackson(mapper, false));
              HttpErrors.install(javalin, mapper);
              // the same idle, header and in-flight limits as a node's, with their defaults;
              // watches
              // (GET /members) wait long and have their own bound (MAX_WATCHES), so they are not
              // counted
              ServerProtection.install(
                  javalin,
                  config.bind(),
                  config.port(),
                  config.limits(),
                  path ->
                      !path.equals("/health")
                          && !path.equals("/metrics")
                          && !path.equals("/members"),
                  overloaded::increment,
                  mapper);
              HttpMetrics.install(javalin, metrics, ROUTES);
              routes.registerOn(javalin.routes);
            });
    Gauge.builder("seed.members", registry, r -> r.view().members().size())
        .description("Registered live nodes")
        .register(metrics);
    Gauge.builder("seed.membership.version", registry, r -> r.view().version())
        .description("Version of the member list")
        .register(metrics);
    Gauge.builder("seed.watches.open", watches, MemberWatches::open)
        .description("Blocking queries (GET /members?index=) waiting for a change")
        .register(metrics);
    this.expirations =
        Counter.builder("seed.expirations")
            .description("Nodes dropped after NODE_TTL of silence")
            .register(metrics);
    if (config.token().isOpen()) {
      log.warn(
          "ALLOW_OPEN_CLUSTER=true and no cluster token: any process that reaches this seed"
              + " can register, heartbeat or deregister nodes. For development only; set"
              + " CLUSTER_TOKEN or CLUSTER_TOKEN_FILE anywhere else");
    }
    http.start(); // on the connector ServerProtection added, at bind:port
    if (scheduleExpiry) {
      long period = Math.max(100, config.nodeTtl().toMillis() / 15);
      scheduler.scheduleWithFixedDelay(this::expireStale, period, period, TimeUnit.MILLISECONDS);
    }
    log.info("Seed listening on {}:{}, node ttl {}", config.bind(), port(), config.nodeTtl());
  }

  /** Starts a seed that expires silent nodes on its own schedule. */
  public static SeedServer start(SeedConfig config, Clock clock) {
    return new SeedServer(config, clock, true);
  }

  /** Starts a seed whose expiry runs only when {@link #expireStale()} is called (tests). */
  public static SeedServer startManual(SeedConfig config, Clock clock) {
    return new SeedServer(config, clock, false);
  }

  public int port() {
    return http.port();
  }

  public MemberRegistry registry() {
    return registry;
  }

  public void expireStale() {
    try {
      expirations.increment(registry.expireStale().size());
    } catch (RuntimeException e) {
      log.error("Expiry pass failed; will retry on the next tick", e);
    }
  }

  @Override
  public void close() {
    watches.releaseAll(); // a waiting watch would hold the graceful stop for its whole wait
    scheduler.shutdownNow();
    http.stop();
    metrics.close();
  }
}
