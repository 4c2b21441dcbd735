package kv.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import kv.common.Json;
import kv.common.NodeId;
import kv.common.http.HttpErrors;
import kv.common.http.HttpMetrics;
import kv.node.api.ClientRoutes;
import kv.node.api.ReplicaRoutes;
import kv.node.membership.MembershipWatcher;
import kv.node.membership.NodeIdStore;
import kv.node.membership.SeedClient;
import kv.node.peer.HttpPeerClient;
import kv.node.peer.PeerClient;
import kv.node.peer.ReplicaHeaders;
import kv.node.replication.Coordinator;
import kv.node.replication.ReplicationMetrics;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;
import kv.node.storage.TombstonePurger;
import kv.node.version.HybridClock;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage node's composition root: builds every collaborator with {@code new}, starts the HTTP
 * server and the membership task, and closes them in reverse order.
 */
public final class KvNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KvNode.class);

  private static final Set<String> ROUTES = Set.of("/put", "/get", "/delete", "/locate",
      "/cluster", "/health", "/metrics", ReplicaHeaders.PATH);

  private final PrometheusMeterRegistry metrics;
  private final StorageEngine storage;
  private final ViewHolder views;
  private final OkHttpClient http;
  private final PeerClient peers;
  private final MembershipWatcher membership;
  private final TombstonePurger purger;
  private final Javalin server;
  private final ScheduledExecutorService scheduler;

  private KvNode(NodeConfig config, Clock clock, UnaryOperator<PeerClient> peerDecorator,
      boolean scheduleBackgroundWork) {
    ObjectMapper mapper = Json.newMapper();
    this.metrics = HttpMetrics.newRegistry();
    this.views = new ViewHolder(ClusterView.empty(config.vnodes()));
    this.storage = config.storage().open();
    this.http = HttpClients.forPeers(config.peerTimeout());
    this.peers = peerDecorator.apply(new HttpPeerClient(http, config.token(), mapper));
    SeedClient seed = new SeedClient(
        HttpClients.forSeed(http), HttpUrl.get(config.seedUrl()), config.token(), mapper);
    NodeIdStore idStore = new NodeIdStore(config.dataDir());
    MembershipWatcher[] watcher = new MembershipWatcher[1]; // built once the port is known
    HybridClock hybridClock = new HybridClock(clock);
    Coordinator coordinator = new Coordinator(views, storage, peers,
        () -> watcher[0] == null ? Optional.empty() : watcher[0].id(), hybridClock,
        config.replication(), new ReplicationMetrics(metrics));
    this.purger = new TombstonePurger(storage, clock, config.tombstoneGrace());
    ClientRoutes clientRoutes = new ClientRoutes(coordinator, views,
        () -> watcher[0] == null ? "" : watcher[0].id().map(NodeId::value).orElse(""),
        config.maxValueBytes());
    ReplicaRoutes replicaRoutes =
        new ReplicaRoutes(storage, hybridClock, config.token(), config.maxValueBytes());
    this.server = Javalin.create(javalin -> {
      javalin.startup.showJavalinBanner = false;
      javalin.jsonMapper(new JavalinJackson(mapper, false));
      javalin.http.maxRequestSize = config.maxValueBytes() + 1L;
      // values are opaque bytes; gzip negotiation cost ~7 % of a direct GET's Java samples (JFR)
      javalin.http.compressionStrategy = CompressionStrategy.NONE;
      HttpErrors.install(javalin, mapper);
      HttpMetrics.install(javalin, metrics, ROUTES);
      clientRoutes.registerOn(javalin.routes);
      replicaRoutes.registerOn(javalin.routes);
    });
    if (config.token().isOpen()) {
      log.warn("CLUSTER_TOKEN is not set: /internal/* accepts any caller");
    }
    server.start(config.bind(), config.port());
    watcher[0] = new MembershipWatcher(seed, views, idStore, config.nodeId(),
        config.advertise(), server.port(), clock, config.heartbeatInterval(), config.vnodes());
    this.membership = watcher[0];
    Gauge.builder("kv.ring.members", views, v -> v.current().members().size())
        .description("Nodes in this node's ring").register(metrics);
    Gauge.builder("kv.membership.version", views, v -> v.current().version())
        .description("Version of the member list this node's ring was built from").register(metrics);
    Gauge.builder("kv.storage.records", storage, StorageEngine::size)
        .description("Records (values and tombstones) this node stores").register(metrics);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "membership"));
    log.info("Node listening on {}:{}", config.bind(), server.port());
    if (scheduleBackgroundWork) {
      long period = Math.min(1000, config.heartbeatInterval().toMillis());
      scheduler.scheduleWithFixedDelay(membership::tick, 0, period, TimeUnit.MILLISECONDS);
      long purgeEvery = Math.max(1000, config.tombstoneGrace().toMillis() / 10);
      scheduler.scheduleWithFixedDelay(
          this::purgeTombstones, purgeEvery, purgeEvery, TimeUnit.MILLISECONDS);
    }
  }

  /** Starts a node with the system clock and its background work scheduled. */
  public static KvNode start(NodeConfig config) {
    return new KvNode(config, Clock.systemUTC(), UnaryOperator.identity(), true);
  }

  /**
   * Starts a node whose background work runs only when {@link #tick()} is called, with its peer
   * client wrapped by {@code peerDecorator} (the in-process harness injects faults this way).
   */
  public static KvNode startManual(
      NodeConfig config, Clock clock, UnaryOperator<PeerClient> peerDecorator) {
    return new KvNode(config, clock, peerDecorator, false);
  }

  public int port() {
    return server.port();
  }

  public Optional<NodeId> id() {
    return membership.id();
  }

  public StorageEngine storage() {
    return storage;
  }

  /** The version of the member list this node's ring was built from (0 before registering). */
  public long viewVersion() {
    return views.current().version();
  }

  /** Runs every background task once. */
  public void tick() {
    membership.tick();
    purgeTombstones();
  }

  private void purgeTombstones() {
    try {
      purger.purge();
    } catch (RuntimeException e) {
      log.error("Tombstone purge failed; retrying on the next pass", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    awaitBackgroundWork(); // a purge still scanning must finish before storage closes
    server.stop();
    peers.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    storage.close();
    metrics.close();
  }

  private void awaitBackgroundWork() {
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("Background work did not stop within 10 s; closing storage anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
