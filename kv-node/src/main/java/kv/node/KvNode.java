package kv.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.json.JavalinJackson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
import kv.node.api.InternalGate;
import kv.node.api.ReplicaRoutes;
import kv.node.api.SyncRoutes;
import kv.node.handoff.HintDelivery;
import kv.node.handoff.HintMetrics;
import kv.node.handoff.HintWriter;
import kv.node.membership.LargestCluster;
import kv.node.membership.MembershipWatcher;
import kv.node.membership.NodeIdStore;
import kv.node.membership.SeedClient;
import kv.node.membership.SeedWatch;
import kv.node.membership.ViewGossip;
import kv.node.membership.ViewInstaller;
import kv.node.peer.BudgetedPeerClient;
import kv.node.peer.ClockSampling;
import kv.node.peer.HttpPeerClient;
import kv.node.peer.HttpSyncPeerClient;
import kv.node.peer.HttpViewClient;
import kv.node.peer.ViewHeaders;
import kv.node.protocol.BodyLimits;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.PeerClient;
import kv.node.protocol.SyncPeerClient;
import kv.node.replica.PendingRanges;
import kv.node.replica.ReplicaService;
import kv.node.replication.Coordinator;
import kv.node.replication.ReplicationMetrics;
import kv.node.replication.TombstoneCheck;
import kv.node.ring.ClusterView;
import kv.node.ring.StalePlacement;
import kv.node.ring.ViewHolder;
import kv.node.storage.HintStore;
import kv.node.storage.StorageEngine;
import kv.node.storage.TombstonePurger;
import kv.node.sync.AntiEntropy;
import kv.node.sync.MemberTenure;
import kv.node.sync.RangeHandoff;
import kv.node.sync.RangeSync;
import kv.node.sync.Rebalancer;
import kv.node.sync.SyncMetrics;
import kv.node.sync.TransferBudget;
import kv.node.version.ClockBound;
import kv.node.version.ClockOffsets;
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

  /** Every path a route serves: request metrics are tagged with these, anything else as one. */
  private static final Set<String> ROUTES =
      Stream.of(
              ClientRoutes.PATHS,
              Set.of(HealthRoute.PATH, HttpMetrics.PATH),
              InternalGate.PATHS,
              ReplicaRoutes.PATHS,
              SyncRoutes.PATHS)
          .flatMap(Set::stream)
          .collect(Collectors.toUnmodifiableSet());

  /** A catch-up read of the seed's list must not hold up reading it from a peer for long. */
  private static final Duration SEED_REFRESH_TIMEOUT = Duration.ofSeconds(1);

  private static final Duration SEED_TIMEOUT = Duration.ofSeconds(3);

  private final PrometheusMeterRegistry metrics;
  private final StorageEngine storage;
  private final HintStore hints;
  private final ViewHolder views;
  private final OkHttpClient http;
  private final PeerClient peers;
  private final MembershipWatcher membership;
  private final SeedWatch seedWatch;
  private final ExecutorService catchUp; // reads a newer member list that a peer told of
  private final ClockOffsets offsets;
  private final Rebalancer rebalancer;
  private final Javalin server;
  private final BackgroundTasks background;
  private final int replicationFactor;
  private final NodeConfig config;
  private final AtomicReference<Health.Status> status = new AtomicReference<>(Health.Status.UP);
  private final AtomicBoolean shuttingDown = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * What a test harness replaces: the node's peer and seed transports (to inject faults), where it
   * keeps its id and credential, and the monotonic clock its wall clock is checked against (the
   * harness's own time, which it advances).
   */
  public record Hooks(
      UnaryOperator<PeerClient> peers,
      UnaryOperator<SyncPeerClient> sync,
      UnaryOperator<OkHttpClient> seedTransport,
      NodeIdStore identity,
      LongSupplier monotonicNanos) {
    static Hooks none(NodeConfig config) {
      return new Hooks(
          UnaryOperator.identity(),
          UnaryOperator.identity(),
          UnaryOperator.identity(),
          new NodeIdStore(config.data().dataDir()),
          System::nanoTime);
    }
  }

  private KvNode(NodeConfig config, Clock clock, Hooks hooks, boolean scheduleBackgroundWork) {
    UnaryOperator<PeerClient> peerDecorator = hooks.peers();
    UnaryOperator<SyncPeerClient> syncDecorator = hooks.sync();
    UnaryOperator<OkHttpClient> seedTransport = hooks.seedTransport();
    NodeIdStore idStore = hooks.identity();
    ObjectMapper mapper = Json.newMapper();
    this.config = config;
    this.metrics = HttpMetrics.newRegistry();
    Counter overloaded =
        Counter.builder("kv.requests.overloaded")
            .description(
                "Requests refused with 503 because MAX_IN_FLIGHT, MAX_INTERNAL_IN_FLIGHT "
                    + "or MAX_BYTES_IN_FLIGHT were in flight")
            .register(metrics);
    Counter bodyTimeouts =
        Counter.builder("kv.requests.body.timeouts")
            .description(
                "Requests answered 408 because their body did not arrive within BODY_TIMEOUT")
            .register(metrics);
    this.views = new ViewHolder(ClusterView.empty(config.cluster().vnodes()));
    this.storage = config.data().storage().open();
    this.hints = config.data().storage().openHints();
    HintMetrics hintMetrics = new HintMetrics(metrics, hints);
    HintWriter hintWriter = new HintWriter(hints, clock, hintMetrics);
    NodeId self =
        idStore.resolve(config.cluster().nodeId()); // before wiring: everything below knows it
    LargestCluster largest = new LargestCluster(config.data().dataDir());
    ViewInstaller installer =
        new ViewInstaller(views, config.cluster().vnodes(), clock, largest, metrics);
    OkHttpClient base = HttpClients.base(config.network().peerTimeout());
    HttpUrl seedUrl = HttpUrl.get(config.cluster().seedUrl());
    ClockOffsets offsets =
        new ClockOffsets(clock, hooks.monotonicNanos(), config.cluster().maxClockOffset(), metrics);
    this.offsets = offsets;
    ClockSampling seedClock =
        new ClockSampling(
            clock,
            offsets, // a watch is held: no sample
            request -> request.url().queryParameter("index") == null ? "seed" : null);
    SeedClient seed =
        new SeedClient(
            seedTransport.apply(HttpClients.forSeed(base, SEED_TIMEOUT, seedClock)),
            seedUrl,
            config.cluster().token(),
            mapper);
    this.catchUp = Executors.newSingleThreadExecutor(r -> new Thread(r, "membership-catch-up"));
    ViewGossip gossip =
        new ViewGossip(
            views,
            installer,
            new SeedClient(
                seedTransport.apply(HttpClients.forSeed(base, SEED_REFRESH_TIMEOUT, seedClock)),
                seedUrl,
                config.cluster().token(),
                mapper),
            new HttpViewClient(base, config.cluster().token(), mapper),
            self,
            catchUp,
            config.network().peerTimeout(),
            System::nanoTime);
    this.http =
        HttpClients.forPeers(base, new ViewHeaders(gossip), ClockSampling.ofPeers(clock, offsets));
    ByteBudget bytesInFlight = new ByteBudget(config.network().limits().maxBytesInFlight());
    this.peers =
        new BudgetedPeerClient(
            peerDecorator.apply(
                new HttpPeerClient(http, config.cluster().token(), mapper, metrics)),
            bytesInFlight);
    HybridClock hybridClock = new HybridClock(clock, config.cluster().maxClockOffset());
    ClockBound clockBound = new ClockBound(hybridClock, clock, metrics);
    PendingRanges pending = new PendingRanges();
    ReplicaService replica =
        new ReplicaService(
            storage,
            pending,
            hintWriter,
            clockBound,
            new StalePlacement(views, config.replication().quorums().replicationFactor()),
            config.data().maxValueBytes());
    SyncPeerClient syncPeers =
        syncDecorator.apply(
            new HttpSyncPeerClient(
                HttpClients.forSync(http, config.network().peerTimeout()),
                config.cluster().token(),
                mapper));
    RangeSync rangeSync =
        new RangeSync(
            storage,
            replica,
            syncPeers,
            config.network().peerTimeout().multipliedBy(10),
            MerkleTree.DEFAULT_DEPTH);
    TransferBudget budget = new TransferBudget(clock, config.replication().sync().streamRate());
    SyncMetrics syncMetrics = new SyncMetrics(metrics, pending);
    int n = config.replication().quorums().replicationFactor();
    this.replicationFactor = n;
    MemberTenure tenure = new MemberTenure(clock);
    views.addListener(tenure);
    RangeHandoff handoffs =
        new RangeHandoff(
            views,
            self,
            n,
            storage,
            rangeSync,
            budget,
            syncMetrics,
            tenure,
            clock,
            config.replication().sync());
    this.rebalancer =
        new Rebalancer(
            views,
            self,
            n,
            config.cluster().vnodes(),
            storage,
            rangeSync,
            pending,
            budget,
            syncMetrics,
            handoffs);
    views.addListener(rebalancer::viewChanged);
    AntiEntropy antiEntropy =
        new AntiEntropy(
            views,
            self,
            n,
            rangeSync,
            rebalancer,
            budget,
            syncMetrics,
            clock,
            config.replication().sync().antiEntropyInterval());
    Coordinator coordinator =
        new Coordinator(
            views,
            replica,
            peers,
            self,
            new Coordinator.Clocks(hybridClock, offsets),
            config.replication().quorums(),
            new ReplicationMetrics(metrics),
            hintWriter,
            largest::size,
            config.network().peerTimeout());
    TombstonePurger purger =
        new TombstonePurger(
            storage,
            clock,
            config.data().tombstoneGrace(),
            new TombstoneCheck(
                views,
                self,
                peers,
                config.replication().quorums().replicationFactor(),
                config.network().peerTimeout().plusSeconds(1)));
    HintDelivery hintDelivery =
        new HintDelivery(hints, views, peers, clock, hintPolicy(config), hintMetrics);
    ClientRoutes clientRoutes =
        new ClientRoutes(
            coordinator,
            views,
            self,
            config.data().maxValueBytes(),
            installer::last,
            largest::size,
            offsets);
    BodyLimits limits = new BodyLimits(config.data().maxValueBytes());
    ReplicaRoutes replicaRoutes = new ReplicaRoutes(replica, limits);
    InternalGate internal =
        new InternalGate(config.cluster().token(), gossip, views::current, clock);
    SyncRoutes syncRoutes = new SyncRoutes(replica, limits);
    ServerProtection.Paths paths =
        new ServerProtection.Paths(
            KvNode::isClientRequest, path -> path.startsWith("/internal/"), limits.maxBody());
    this.server =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              javalin.jsonMapper(new JavalinJackson(mapper, false));
              javalin.http.maxRequestSize = config.data().maxValueBytes() + 1L;
              // values are opaque bytes; gzip negotiation cost ~7 % of a direct GET's Java samples
              // (JFR)
              javalin.http.compressionStrategy = CompressionStrategy.NONE;
              HttpErrors.install(javalin, mapper);
              ServerProtection.install(
                  javalin,
                  config.network().bind(),
                  config.network().port(),
                  config.network().limits(),
                  paths,
                  bytesInFlight,
                  code -> (code == ErrorCode.OVERLOADED ? overloaded : bodyTimeouts).increment(),
                  mapper);
              HttpMetrics.install(javalin, metrics, ROUTES);
              new HealthRoute(this::health).registerOn(javalin.routes);
              clientRoutes.registerOn(javalin.routes);
              internal.registerOn(
                  javalin.routes); // before the /internal/* routes: token, view exchange
              replicaRoutes.registerOn(javalin.routes);
              syncRoutes.registerOn(javalin.routes);
            });
    if (config.cluster().token().isOpen()) {
      log.warn(
          "ALLOW_OPEN_CLUSTER=true and no cluster token: /internal/* accepts any caller and"
              + " the seed any registration. For development only; set CLUSTER_TOKEN or"
              + " CLUSTER_TOKEN_FILE anywhere else");
    }
    server.start();
    this.membership =
        new MembershipWatcher(
            seed,
            views,
            installer,
            idStore,
            self,
            config.network().advertise(),
            server.port(),
            clock,
            config.cluster().heartbeatInterval());
    this.seedWatch = new SeedWatch(seed, views, installer, membership, SeedWatch.WAIT);
    seedWatch.start(); // in tests too: changes are pushed, whether or not anyone ticks
    Gauge.builder("kv.ring.members", views, v -> v.current().members().size())
        .description("Nodes in this node's ring")
        .register(metrics);
    Gauge.builder("kv.membership.version", views, v -> v.current().version())
        .description("Version of the member list this node's ring was built from")
        .register(metrics);
    // Named for what it is: RocksDB can only estimate its number of keys cheaply.
    Gauge.builder(
            storage.sizeIsExact() ? "kv.storage.records" : "kv.storage.records.estimated",
            storage,
            StorageEngine::size)
        .description(
            storage.sizeIsExact()
                ? "Records (values and tombstones) this node stores"
                : "RocksDB's estimate (rocksdb.estimate-num-keys) of the records, tombstones"
                    + " included, this node stores")
        .register(metrics);
    Gauge.builder("kv.bytes.in.flight", bytesInFlight, ByteBudget::inUse)
        .strongReference(true)
        .description(
            "Bytes of request bodies and of replica writes on their way, held against "
                + "MAX_BYTES_IN_FLIGHT")
        .register(metrics);
    Gauge.builder("kv.handoff.ranges", handoffs, RangeHandoff::size)
        .strongReference(true)
        .description(
            "Ranges this node no longer replicates and keeps until their new replicas "
                + "have settled and hold them")
        .register(metrics);
    this.background =
        new BackgroundTasks(
            new BackgroundTasks.Work(
                membership, offsets, rebalancer, antiEntropy, purger, hintDelivery));
    log.info("Node listening on {}:{}", config.network().bind(), server.port());
    if (scheduleBackgroundWork) {
      background.schedule(config.cluster().heartbeatInterval(), config.data().tombstoneGrace());
      views.addListener((before, after) -> background.wakeSync()); // transfers start at once
    }
  }

  /**
   * A hint older than the tombstone grace period must not be delivered: the tombstone of a later
   * delete may already be purged everywhere, and the hinted value would come back. So hints live
   * for the shorter of {@code HINT_WINDOW} and {@code TOMBSTONE_GRACE} (Cassandra caps a hint's
   * life at gc_grace_seconds for the same reason).
   */
  private static HintDelivery.Policy hintPolicy(NodeConfig config) {
    HintDelivery.Policy asked = config.replication().hints();
    if (asked.window().compareTo(config.data().tombstoneGrace()) <= 0) {
      return asked;
    }
    log.info(
        "Hints expire after TOMBSTONE_GRACE ({}), which is shorter than HINT_WINDOW ({})",
        config.data().tombstoneGrace(),
        asked.window());
    return new HintDelivery.Policy(config.data().tombstoneGrace(), asked.ratePerSecond());
  }

  /** Starts a node with the system clock and its background work scheduled. */
  public static KvNode start(NodeConfig config) {
    return new KvNode(config, Clock.systemUTC(), Hooks.none(config), true);
  }

  /**
   * Starts a node whose background work runs only when {@link #tick()} is called, with the
   * harness's {@link Hooks} (faults injected in its transports; a harness that restarts a node
   * without a data directory passes the same identity store again, as a real node keeps its files).
   * The watch on the seed's list runs on its own thread all the same: changes are pushed, not
   * ticked.
   */
  public static KvNode startManual(NodeConfig config, Clock clock, Hooks hooks) {
    return new KvNode(config, clock, hooks, false);
  }

  public int port() {
    return server.port();
  }

  public NodeId id() {
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
    return !path.startsWith("/internal/")
        && !path.equals(HealthRoute.PATH)
        && !path.equals(HttpMetrics.PATH);
  }

  /** Runs every background task once. */
  public void tick() {
    background.tick();
  }

  /** UP, STOPPING, or CLOCK_SKEW while this node refuses to coordinate writes. */
  private Health.Status health() {
    Health.Status now = status.get();
    return now == Health.Status.UP && offsets.isSkewed() ? Health.Status.CLOCK_SKEW : now;
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
    log.info(
        "Shutting down gracefully: deregistering, then draining for {}",
        config.network().shutdownDrain());
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
    seedWatch.close(); // views kept arriving while draining: requests still coordinated here
    catchUp.shutdownNow();
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
    background.stop(); // a purge or a transfer still scanning must finish before storage closes
  }

  private void drain() {
    try {
      Thread.sleep(
          config.network().shutdownDrain().toMillis()); // serving on: peers still route here
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
      long bound = 2 * config.network().peerTimeout().toMillis() + 1000;
      if (!idle.await(bound, TimeUnit.MILLISECONDS)) {
        log.warn(
            "{} replica call(s) still running after {} ms; closing anyway",
            http.dispatcher().runningCallsCount(),
            bound);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * After the last replica call has settled (so no new hint can appear): one delivery pass, so that
   * hints whose owners are back leave with this node (in memory they would be lost; in RocksDB they
   * were persisted as they were written and stay for the next start).
   */
  private void flushHints() {
    if (hints.pending() > 0) {
      background.handOffHints();
      log.info("{} hint(s) left undelivered at shutdown", hints.pending());
    }
  }
}
