package kv.node.harness;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kv.common.ClusterToken;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.node.KvNode;
import kv.node.NodeConfig;
import kv.node.membership.NodeIdStore;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.storage.StorageConfig;
import kv.seed.SeedConfig;
import kv.seed.SeedServer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A seed and N nodes in this JVM, each on its own port on 127.0.0.1, sharing a {@link
 * MutableClock}. Nothing runs in the background: {@link #tick()} advances the clock by one
 * heartbeat interval and runs every background task once. Nodes can be crashed and restarted, pairs
 * partitioned, and the seed stopped and restarted on its port. A node keeps its identity (id and
 * seed credential) across restarts as a real one keeps its files: in its data directory when it has
 * one, else in a store this harness keeps per node. Each node reads the shared clock through its
 * own {@link SkewedClock}, so a test can set one node's clock ahead or behind ({@link #skew}) while
 * {@link #tick()} still moves every clock together.
 */
public final class TestCluster implements AutoCloseable {
  public static final Duration HEARTBEAT = Duration.ofSeconds(5);
  public static final ClusterToken TOKEN =
      ClusterToken.of(java.util.Optional.of("test-cluster-token"));

  private final MutableClock clock = MutableClock.atEpoch2030();
  private final Faults faults = new Faults();
  private final Map<NodeId, KvNode> live = new LinkedHashMap<>();
  private final Map<NodeId, SkewedClock> clocks = new HashMap<>(); // kept across restarts
  private final List<NodeId> all = new ArrayList<>();
  private final Map<NodeId, NodeIdStore> identities = new HashMap<>();
  private final HttpTestClient client = new HttpTestClient();
  private final Coordinator.Policy policy;
  private final BiFunction<NodeId, NodeConfig, NodeConfig> configure;
  private SeedServer seed;
  private int seedPort;

  private TestCluster(
      Coordinator.Policy policy, BiFunction<NodeId, NodeConfig, NodeConfig> configure) {
    this.policy = policy;
    this.configure = configure;
    this.seed = SeedServer.startManual(SeedConfig.forTests().withToken(TOKEN), clock);
    this.seedPort = seed.port();
  }

  /**
   * Starts a seed and {@code n} nodes named node-1..node-n (N=3, W=2, R=2); waits until all agree.
   */
  public static TestCluster start(int n) {
    return start(n, new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2)));
  }

  public static TestCluster start(int n, Coordinator.Policy policy) {
    return start(n, policy, (id, config) -> config);
  }

  /** N=3, W=2, R=2, every node's config passed through {@code configure} (limits, drain...). */
  public static TestCluster start(int n, UnaryOperator<NodeConfig> configure) {
    return start(
        n,
        new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2)),
        (id, config) -> configure.apply(config));
  }

  /**
   * As {@link #start(int, Coordinator.Policy)}, with each node's config passed through {@code
   * configure}.
   */
  public static TestCluster start(
      int n, Coordinator.Policy policy, BiFunction<NodeId, NodeConfig, NodeConfig> configure) {
    TestCluster cluster = new TestCluster(policy, configure);
    try {
      for (int i = 1; i <= n; i++) {
        cluster.startNode(NodeId.of("node-" + i));
      }
      cluster.settle();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Gives each node RocksDB storage (and hints) in {@code root/<node id>}, kept across restarts.
   */
  public static BiFunction<NodeId, NodeConfig, NodeConfig> onDisk(Path root) {
    return (id, config) ->
        config.withStorage(
            root.resolve(id.value()),
            StorageConfig.rocksDb(root.resolve(id.value()).resolve("rocksdb"), false));
  }

  public NodeId id(int oneBased) {
    return all.get(oneBased - 1);
  }

  public List<NodeId> liveNodes() {
    return List.copyOf(live.keySet());
  }

  public KvNode node(NodeId id) {
    KvNode node = live.get(id);
    if (node == null) {
      throw new IllegalArgumentException("not running: " + id);
    }
    return node;
  }

  public String url(NodeId id) {
    return "http://127.0.0.1:" + node(id).port();
  }

  public HttpTestClient client() {
    return client;
  }

  /**
   * The value of one series in node {@code id}'s {@code GET /metrics}, written exactly as
   * Prometheus prints it (e.g. {@code kv_ring_members}); 0 when the node does not report it.
   */
  public double metric(NodeId id, String series) {
    HttpResponse<byte[]> scraped = client.send("GET", url(id), "/metrics", null);
    if (scraped.statusCode() != 200) {
      throw new IllegalStateException("GET /metrics on " + id + ": " + scraped.statusCode());
    }
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE)
            .matcher(new String(scraped.body(), StandardCharsets.UTF_8));
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  public SeedServer seed() {
    return seed;
  }

  /** The shared clock: the seed's, and every node's before its skew. */
  public MutableClock clock() {
    return clock;
  }

  /** The clock node {@code id} reads: the shared one plus the node's skew. */
  public Clock clock(NodeId id) {
    return nodeClock(id);
  }

  /**
   * Sets node {@code id}'s clock {@code offset} ahead of the shared one (behind when negative),
   * from now on: at once for a running node, and for the node when it is started or restarted
   * later. Like a real clock set back, a running node set behind waits that much longer for its
   * next heartbeat (the seed may expire it); set a negative skew before starting the node to avoid
   * that.
   */
  public void skew(NodeId id, Duration offset) {
    nodeClock(id).offset(offset);
  }

  private SkewedClock nodeClock(NodeId id) {
    return clocks.computeIfAbsent(id, i -> new SkewedClock(clock));
  }

  public KvNode startNode(NodeId id) {
    NodeConfig config =
        configure.apply(
            id,
            NodeConfig.forTests("http://127.0.0.1:" + seedPort)
                .withNodeId(id)
                .withToken(TOKEN)
                .withReplication(policy));
    NodeIdStore identity =
        config.data().dataDir().isPresent()
            ? new NodeIdStore(config.data().dataDir())
            : identities.computeIfAbsent(id, unused -> new NodeIdStore(java.util.Optional.empty()));
    KvNode node =
        KvNode.startManual(
            config,
            nodeClock(id),
            new KvNode.Hooks(
                peers -> new FaultyPeerClient(id, faults, peers),
                sync -> new FaultySyncPeerClient(id, faults, sync),
                seed -> seed.newBuilder().addInterceptor(faults.seedInterceptor(id)).build(),
                identity,
                () -> clock.millis() * 1_000_000)); // the harness's time is the shared clock
    faults.nodeAt(id, node.port());
    live.put(id, node);
    if (!all.contains(id)) {
      all.add(id);
    }
    node.tick(); // registers
    return node;
  }

  /** Kills a node: its server stops and its in-memory data is gone (files on disk stay). */
  public void crash(NodeId id) {
    node(id).close();
    live.remove(id);
  }

  /**
   * Starts a crashed node again under the same id (with empty memory storage) and lets all agree.
   */
  public void restart(NodeId id) {
    startNode(id);
    settle();
  }

  /** Starts a new node, lets every node learn of it, and returns its id. */
  public NodeId addNode(String name) {
    NodeId id = NodeId.of(name);
    startNode(id);
    settle();
    return id;
  }

  /** Kills a node and lets time pass until the seed has dropped it and every node knows. */
  public void expire(NodeId id) {
    crash(id);
    for (int i = 0;
        i < 5 && seed.registry().view().members().stream().anyMatch(m -> m.id().equals(id));
        i++) {
      tick();
    }
    settle();
  }

  /** Ticks until no node has a transfer left from membership changes (at most {@code maxTicks}). */
  public void rebalance(int maxTicks) {
    for (int i = 0; i < maxTicks && !live.values().stream().allMatch(KvNode::isRebalanced); i++) {
      tick();
    }
    if (!live.values().stream().allMatch(KvNode::isRebalanced)) {
      throw new IllegalStateException("rebalancing did not finish within " + maxTicks + " ticks");
    }
  }

  /** Stops a node as SIGTERM does ({@link KvNode#shutdown()}): it deregisters, drains, closes. */
  public void stopGracefully(NodeId id) {
    node(id).shutdown();
    live.remove(id);
  }

  public Faults faults() {
    return faults;
  }

  public void partition(NodeId a, NodeId b) {
    faults.partition(a, b);
  }

  public void heal() {
    faults.heal();
  }

  public void stopSeed() {
    seed.close();
  }

  /** Starts a fresh seed (empty registry) on the same port. */
  public void restartSeed() {
    seed = SeedServer.startManual(SeedConfig.forTests().withToken(TOKEN).withPort(seedPort), clock);
  }

  /** One heartbeat interval passes: the seed expires silent nodes, every node runs its tasks. */
  public void tick() {
    clock.advance(HEARTBEAT);
    seed.expireStale();
    live.values().forEach(KvNode::tick);
  }

  /**
   * Waits until every live node has the seed's current member list: their watches bring it without
   * a tick, normally within milliseconds; when they do not within a second (a watch is broken on
   * purpose), ticks (at most 5) let heartbeats bring it.
   */
  public void settle() {
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(1))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1))
          .until(this::agreed);
    } catch (ConditionTimeoutException e) {
      // a watch is broken or slow: heartbeats below
    }
    for (int i = 0; i < 5 && !agreed(); i++) {
      tick();
    }
    if (!agreed()) {
      throw new IllegalStateException("nodes did not converge on the seed's member list");
    }
  }

  /** Whether every live node has installed the seed's current member list. */
  public boolean agreed() {
    long version = seed.registry().view().version();
    return live.values().stream().allMatch(n -> n.viewVersion() == version);
  }

  @Override
  public void close() {
    live.values().forEach(KvNode::close);
    live.clear();
    seed.close();
  }
}
