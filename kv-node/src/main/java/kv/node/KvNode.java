package kv.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import kv.common.Json;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.http.ByteBudget;
import kv.common.http.HttpErrors;
import kv.common.http.HttpMetrics;
import kv.common.http.ServerProtection;
import kv.common.wire.Health;
import kv.node.api.ClientRoutes;
import kv.node.api.HealthRoute;
import kv.node.api.ReplicaRoutes;
import kv.node.api.SyncRoutes;
import kv.node.handoff.HintDelivery;
import kv.node.handoff.HintMetrics;
import kv.node.handoff.HintWriter;
import kv.node.membership.MembershipWatcher;
import kv.node.membership.NodeIdStore;
import kv.node.membership.SeedClient;
import kv.node.peer.BudgetedPeerClient;
import kv.node.peer.HttpPeerClient;
import kv.node.peer.HttpSyncPeerClient;
import kv.node.peer.SyncProtocol;
import kv.node.peer.PeerClient;
import kv.node.peer.ReplicaHeaders;
import kv.node.replication.Coordinator;
import kv.node.replication.ReplicationMetrics;
import kv.node.replication.TombstoneCheck;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.storage.HintStore;
import kv.node.storage.StorageEngine;
import kv.node.storage.TombstonePurger;
import kv.node.sync.AntiEntropy;
import kv.node.sync.MemberTenure;
import kv.node.sync.MerkleTree;
import kv.node.sync.PendingRanges;
import kv.node.sync.RangeHandoff;
import kv.node.sync.RangeSync;
import kv.node.sync.ReadGatedStorage;
import kv.node.sync.Rebalancer;
import kv.node.sync.SyncMetrics;
import kv.node.sync.SyncPeerClient;
import kv.node.sync.TransferBudget;
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
      "/cluster", "/health", "/metrics", ReplicaHeaders.PATH, ReplicaHeaders.BATCH_PATH, SyncProtocol.MERKLE,
      SyncProtocol.RANGE, SyncProtocol.RECORDS);

  private final PrometheusMeterRegistry metrics;
  private final StorageEngine storage;
  private final HintStore hints;
  private final HintDelivery handoff;
  private final ViewHolder views;
  private final OkHttpClient http;
  private final PeerClient peers;
  private final MembershipWatcher membership;
  private final TombstonePurger purger;
  private final Rebalancer rebalancer;
  private final AntiEntropy antiEntropy;
  private final Javalin server;
  private final ScheduledExecutorService scheduler;
  private final ScheduledExecutorService syncScheduler;
  private final int replicationFactor;
  private final ScheduledExecutorService handoffThread; // waits on peers: kept off the heartbeats
  private final NodeConfig config;
  private final AtomicReference<Health.Status> status = new AtomicReference<>(Health.Status.UP);
  private final AtomicBoolean shuttingDown = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private KvNode(NodeConfig config, Clock clock, UnaryOperator<PeerClient> peerDecorator,
      UnaryOperator<SyncPeerClient> syncDecorator, boolean scheduleBackgroundWork) {
    ObjectMapper mapper = Json.newMapper();
    this.config = config;
    this.metrics = HttpMetrics.newRegistry();
    Counter overloaded = Counter.builder("kv.requests.overloaded")
        .description("Requests refused with 503 because MAX_IN_FLIGHT, MAX_INTERNAL_IN_FLIGHT "
            + "or MAX_BYTES_IN_FLIGHT were in flight")
        .register(metrics);
    Counter bodyTimeouts = Counter.builder("kv.requests.body.timeouts")
        .description("Requests answered 408 because their body did not arrive within BODY_TIMEOUT")
        .register(metrics);
    this.views = new ViewHolder(ClusterView.empty(config.vnodes()));
    this.storage = config.storage().open();
    this.hints = config.storage().openHints();
    HintMetrics hintMetrics = new HintMetrics(metrics, hints);
    HintWriter hintWriter = new HintWriter(hints, clock, hintMetrics);
    this.http = HttpClients.forPeers(config.peerTimeout());
    ByteBudget bytesInFlight = new ByteBudget(config.limits().maxBytesInFlight());
    this.peers = new BudgetedPeerClient(
        peerDecorator.apply(new HttpPeerClient(http, config.token(), mapper, metrics)),
        bytesInFlight);
    SeedClient seed = new SeedClient(
        HttpClients.forSeed(http), HttpUrl.get(config.seedUrl()), config.token(), mapper);
    NodeIdStore idStore = new NodeIdStore(config.dataDir());
    MembershipWatcher[] watcher = new MembershipWatcher[1]; // built once the port is known
    HybridClock hybridClock = new HybridClock(clock);
    Supplier<Optional<NodeId>> self = () -> watcher[0] == null ? Optional.empty() : watcher[0].id();
    PendingRanges pending = new PendingRanges();
    StorageEngine replicaStorage = new ReadGatedStorage(storage, pending);
    SyncPeerClient syncPeers = syncDecorator.apply(new HttpSyncPeerClient(
        HttpClients.forSync(http, config.peerTimeout()), config.token(), mapper));
    RangeSync rangeSync = new RangeSync(storage, syncPeers, hybridClock,
        config.peerTimeout().multipliedBy(10), MerkleTree.DEFAULT_DEPTH);
    TransferBudget budget = new TransferBudget(clock, config.sync().streamRate());
    SyncMetrics syncMetrics = new SyncMetrics(metrics, pending);
    int n = config.replication().replicationFactor();
    this.replicationFactor = n;
    MemberTenure tenure = new MemberTenure(clock);
    views.addListener(tenure);
    RangeHandoff handoffs = new RangeHandoff(views, self, n, storage, rangeSync, budget,
        syncMetrics, tenure, clock, config.sync());
    this.rebalancer = new Rebalancer(views, self, n, config.vnodes(), storage, rangeSync, pending,
        budget, syncMetrics, handoffs);
    views.addListener(rebalancer::viewChanged);
    this.antiEntropy = new AntiEntropy(views, self, n, rangeSync, rebalancer, budget, syncMetrics,
        clock, config.sync().antiEntropyInterval());
    Coordinator coordinator = new Coordinator(views, replicaStorage, peers,
        self, hybridClock, config.replication(), new ReplicationMetrics(metrics), hintWriter);
    this.purger = new TombstonePurger(storage, clock, config.tombstoneGrace(),
        new TombstoneCheck(views, self, peers, config.replication().replicationFactor(),
            config.peerTimeout().plusSeconds(1)));
    this.handoff = new HintDelivery(hints, views, peers, clock, hintPolicy(config), hintMetrics);
    ClientRoutes clientRoutes = new ClientRoutes(coordinator, views,
        () -> watcher[0] == null ? "" : watcher[0].id().map(NodeId::value).orElse(""),
        config.maxValueBytes());
    int maxBatchBytes = HttpPeerClient.MAX_BATCH_BYTES + config.maxValueBytes() + (1 << 16);
    int maxPushBytes = RangeSync.PUSH_BATCH_BYTES + config.maxValueBytes() + (1 << 16);
    ReplicaRoutes replicaRoutes = new ReplicaRoutes(replicaStorage, hintWriter, hybridClock,
        config.token(), config.maxValueBytes(), maxBatchBytes);
    SyncRoutes syncRoutes = new SyncRoutes(storage, pending, hybridClock, maxPushBytes,
        SyncProtocol.PAGE_BYTES);
    ServerProtection.Paths paths = new ServerProtection.Paths(KvNode::isClientRequest,
        path -> path.startsWith("/internal/"),
        Math.max(config.maxValueBytes(), Math.max(maxBatchBytes, maxPushBytes)));
    this.server = Javalin.create(javalin -> {
      javalin.startup.showJavalinBanner = false;
      javalin.jsonMapper(new JavalinJackson(mapper, false));
      javalin.http.maxRequestSize = config.maxValueBytes() + 1L;
      // values are opaque bytes; gzip negotiation cost ~7 % of a direct GET's Java samples (JFR)
      javalin.http.compressionStrategy = CompressionStrategy.NONE;
      HttpErrors.install(javalin, mapper);
      ServerProtection.install(javalin, config.bind(), config.port(), config.limits(), paths,
          bytesInFlight, code -> (code == ErrorCode.OVERLOADED ? overloaded : bodyTimeouts)
              .increment(), mapper);
      HttpMetrics.install(javalin, metrics, ROUTES);
      new HealthRoute(status::get).registerOn(javalin.routes);
      clientRoutes.registerOn(javalin.routes);
      replicaRoutes.registerOn(javalin.routes);
      syncRoutes.registerOn(javalin.routes);
    });
    if (config.token().isOpen()) {
      log.warn("CLUSTER_TOKEN is not set: /internal/* accepts any caller");
    }
    server.start();
    watcher[0] = new MembershipWatcher(seed, views, idStore, config.nodeId(),
        config.advertise(), server.port(), clock, config.heartbeatInterval(), config.vnodes());
    this.membership = watcher[0];
    Gauge.builder("kv.ring.members", views, v -> v.current().members().size())
        .description("Nodes in this node's ring").register(metrics);
    Gauge.builder("kv.membership.version", views, v -> v.current().version())
        .description("Version of the member list this node's ring was built from").register(metrics);
    Gauge.builder("kv.storage.records", storage, StorageEngine::size)
        .description("Records (values and tombstones) this node stores").register(metrics);
    Gauge.builder("kv.bytes.in.flight", bytesInFlight, ByteBudget::inUse).strongReference(true)
        .description("Bytes of request bodies and of replica writes on their way, held against "
            + "MAX_BYTES_IN_FLIGHT").register(metrics);
    Gauge.builder("kv.handoff.ranges", handoffs, RangeHandoff::size).strongReference(true)
        .description("Ranges this node no longer replicates and keeps until their new replicas "
            + "have settled and hold them").register(metrics);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "membership"));
    this.syncScheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sync"));
    this.handoffThread =
        Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "hinted-handoff"));
    log.info("Node listening on {}:{}", config.bind(), server.port());
    if (scheduleBackgroundWork) {
      long period = Math.min(1000, config.heartbeatInterval().toMillis());
      scheduler.scheduleWithFixedDelay(membership::tick, 0, period, TimeUnit.MILLISECONDS);
      long purgeEvery = Math.max(1000, config.tombstoneGrace().toMillis() / 10);
      syncScheduler.scheduleWithFixedDelay( // asks peers: kept off the heartbeats
          this::purgeTombstones, purgeEvery, purgeEvery, TimeUnit.MILLISECONDS);
      syncScheduler.scheduleWithFixedDelay(this::sync, 1, 1, TimeUnit.SECONDS);
      views.addListener((before, after) -> wakeSync()); // a new view's transfers start at once
      handoffThread.scheduleWithFixedDelay(this::handOffHints, 1, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * A hint older than the tombstone grace period must not be delivered: the tombstone of a later
   * delete may already be purged everywhere, and the hinted value would come back. So hints live
   * for the shorter of {@code HINT_WINDOW} and {@code TOMBSTONE_GRACE} (Cassandra caps a hint's
   * life at gc_grace_seconds for the same reason).
   */
  private static HintDelivery.Policy hintPolicy(NodeConfig config) {
    HintDelivery.Policy asked = config.hints();
    if (asked.window().compareTo(config.tombstoneGrace()) <= 0) {
      return asked;
    }
    log.info("Hints expire after TOMBSTONE_GRACE ({}), which is shorter than HINT_WINDOW ({})",
        config.tombstoneGrace(), asked.window());
    return new HintDelivery.Policy(config.tombstoneGrace(), asked.ratePerSecond());
  }

  /** Starts a node with the system clock and its background work scheduled. */
  public static KvNode start(NodeConfig config) {
    return new KvNode(config, Clock.systemUTC(), UnaryOperator.identity(),
        UnaryOperator.identity(), true);
  }

  /**
   * Starts a node whose background work runs only when {@link #tick()} is called, with its peer
   * client wrapped by {@code peerDecorator} (the in-process harness injects faults this way).
   */
  public static KvNode startManual(NodeConfig config, Clock clock,
      UnaryOperator<PeerClient> peerDecorator, UnaryOperator<SyncPeerClient> syncDecorator) {
    return new KvNode(config, clock, peerDecorator, syncDecorator, false);
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

  /** The hints this node holds for other replicas. */
  public HintStore hints() {
    return hints;
  }

  /** The version of the member list this node's ring was built from (0 before registering). */
  public long viewVersion() {
    return views.current().version();
  }

  /** The nodes that replicate {@code key} on this node's current ring, in preference order. */
  public List<NodeId> owners(Key key) {
    return views.current().ring().preferenceList(key.token(), replicationFactor);
  }

  /** Queues a hand-off of records this node holds but no longer replicates (tests run it). */
  public void sweep() {
    rebalancer.sweep();
  }

  /** Whether every transfer planned after a membership change has finished. */
  public boolean isRebalanced() {
    return rebalancer.isIdle();
  }

  /**
   * Client traffic counts against MAX_IN_FLIGHT; replica traffic against MAX_INTERNAL_IN_FLIGHT;
   * health checks and metrics against neither.
   */
  private static boolean isClientRequest(String path) {
    return !path.startsWith("/internal/") && !path.equals("/health") && !path.equals("/metrics");
  }

  /** Runs every background task once. */
  public void tick() {
    membership.tick();
    sync();
    purgeTombstones();
    handOffHints();
  }

  private void wakeSync() {
    try {
      syncScheduler.execute(this::sync);
    } catch (RejectedExecutionException e) {
      log.debug("Not starting transfers for a new view: the node is stopping");
    }
  }

  private void sync() {
    try {
      rebalancer.tick();
      antiEntropy.tick();
    } catch (RuntimeException e) {
      log.error("Rebalancing or anti-entropy failed; retrying on the next pass", e);
    }
  }

  private void purgeTombstones() {
    try {
      purger.purge();
    } catch (RuntimeException e) {
      log.error("Tombstone purge failed; retrying on the next pass", e);
    }
  }

  private void handOffHints() {
    try {
      handoff.expire();
      handoff.handOff();
    } catch (RuntimeException e) {
      log.error("Hinted handoff failed; retrying on the next pass", e);
    }
  }

  /**
   * Graceful shutdown, as on SIGTERM: {@code /health} answers 503 STOPPING; the node leaves the
   * seed's list (best effort, one bounded call) so peers stop routing to it; it keeps serving for
   * SHUTDOWN_DRAIN while peers pick up the new list; then it stops accepting, lets requests in
   * flight finish (up to SHUTDOWN_TIMEOUT), waits for its own replica calls, and closes storage.
   */
  public void shutdown() {
    if (closed.get() || !shuttingDown.compareAndSet(false, true)) {
      return;
    }
    log.info("Shutting down gracefully: deregistering, then draining for {}", config.shutdownDrain());
    status.set(Health.Status.STOPPING);
    stopBackgroundWork(); // a heartbeat after deregistering would register the node again
    membership.deregister();
    drain();
    close();
    log.info("Shutdown complete");
  }

  /** Stops at once (tests use it as a crash): requests in flight still get their answers. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    status.set(Health.Status.STOPPING);
    stopBackgroundWork();
    server.stop(); // stop accepting; requests in flight finish, bounded by SHUTDOWN_TIMEOUT
    awaitPeerCalls(); // replica writes and read repairs still under way
    flushHints();
    peers.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    storage.close();
    hints.close();
    metrics.close();
  }

  private void stopBackgroundWork() {
    scheduler.shutdownNow();
    syncScheduler.shutdownNow();
    handoffThread.shutdownNow();
    awaitBackgroundWork(); // a purge or a transfer still scanning must finish before storage closes
  }

  private void drain() {
    try {
      Thread.sleep(config.shutdownDrain().toMillis()); // serving on: peers still route here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("Drain interrupted; stopping now");
    }
  }

  /**
   * Waits (at most two peer timeouts and a second: an operation may wait out one batch before its
   * own is sent) until no call to a peer is running or queued.
   */
  private void awaitPeerCalls() {
    CountDownLatch idle = new CountDownLatch(1);
    http.dispatcher().setIdleCallback(idle::countDown);
    if (http.dispatcher().runningCallsCount() == 0) {
      idle.countDown();
    }
    try {
      long bound = 2 * config.peerTimeout().toMillis() + 1000;
      if (!idle.await(bound, TimeUnit.MILLISECONDS)) {
        log.warn("{} replica call(s) still running after {} ms; closing anyway",
            http.dispatcher().runningCallsCount(), bound);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * After the last replica call has settled (so no new hint can appear): one delivery pass, so
   * that hints whose owners are back leave with this node (in memory they would be lost; in
   * RocksDB they were persisted as they were written and stay for the next start).
   */
  private void flushHints() {
    if (hints.pending() > 0) {
      handOffHints();
      log.info("{} hint(s) left undelivered at shutdown", hints.pending());
    }
  }

  private void awaitBackgroundWork() {
    try {
      if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)
          || !syncScheduler.awaitTermination(10, TimeUnit.SECONDS)
          || !handoffThread.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("Background work did not stop within 10 s; closing storage anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
