package kv.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.ClusterTokenConfig;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.Settings;
import kv.common.http.HttpLimits;
import kv.node.handoff.HintDelivery;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.storage.StorageConfig;
import kv.node.sync.SyncConfig;

/**
 * A node's settings, grouped by what they are about; {@link #from} reads the variables listed in
 * the README. Adding a setting means a component in its group, a line in {@link #from} and one in
 * {@link #forTests}.
 */
public record NodeConfig(Network network, Cluster cluster, Data data, Replication replication) {

  /** Where the node listens and is reached, and how it protects itself and bounds its calls. */
  public record Network(
      String bind,
      int port,
      Optional<Endpoint> advertise,
      HttpLimits limits,
      Duration peerTimeout,
      Duration shutdownDrain) {}

  /** How the node finds, joins and trusts its cluster. */
  public record Cluster(
      String seedUrl,
      Optional<NodeId> nodeId,
      ClusterToken token,
      Duration heartbeatInterval,
      int vnodes,
      Duration maxClockOffset) {}

  /** What the node keeps, where, and for how long. */
  public record Data(
      Optional<Path> dataDir, StorageConfig storage, int maxValueBytes, Duration tombstoneGrace) {}

  /** N, W and R, and how replicas are kept in agreement: transfers and hints. */
  public record Replication(
      Coordinator.Policy quorums, SyncConfig sync, HintDelivery.Policy hints) {}

  /** How far ahead of this node's clock an outside timestamp may be ({@code MAX_CLOCK_OFFSET}). */
  public static final Duration DEFAULT_MAX_CLOCK_OFFSET = Duration.ofMillis(500);

  public static NodeConfig from(Settings s) {
    Optional<Path> dataDir = s.optional("DATA_DIR").map(Path::of);
    return new NodeConfig(
        new Network(
            s.string("NODE_BIND", "0.0.0.0"),
            s.integer("NODE_PORT", 8080, 0, 65_535),
            s.optional("ADVERTISE_ADDR").map(NodeConfig::advertiseAddress),
            limits(s),
            s.duration("PEER_TIMEOUT", Duration.ofSeconds(2)),
            s.durationOrZero("SHUTDOWN_DRAIN", Duration.ofSeconds(2))),
        new Cluster(
            s.string("SEED_URL", "http://seed:9000"),
            s.optional("NODE_ID").map(NodeConfig::nodeId),
            ClusterTokenConfig.read(s),
            s.duration("HEARTBEAT_INTERVAL", Duration.ofSeconds(5)),
            s.integer("VNODES", 128, 1, 4096),
            s.duration("MAX_CLOCK_OFFSET", DEFAULT_MAX_CLOCK_OFFSET)),
        new Data(
            dataDir,
            storage(s, dataDir),
            s.integer("MAX_VALUE_BYTES", 1 << 20, 0, 64 << 20),
            s.duration("TOMBSTONE_GRACE", Duration.ofDays(1))),
        new Replication(
            new Coordinator.Policy(
                s.integer("REPLICATION_FACTOR", 3, 1, 16),
                quorum(s, "WRITE_QUORUM", "2"),
                quorum(s, "READ_QUORUM", "2")),
            sync(s),
            new HintDelivery.Policy(
                s.duration("HINT_WINDOW", Duration.ofHours(3)),
                s.integer("HINT_RATE", 1000, 1, 1_000_000))));
  }

  /** A node for the in-process harness: loopback, any port, in memory. */
  public static NodeConfig forTests(String seedUrl) {
    return new NodeConfig(
        new Network(
            "127.0.0.1",
            0,
            Optional.empty(),
            HttpLimits.defaults(),
            Duration.ofSeconds(2),
            Duration.ZERO),
        new Cluster(
            seedUrl,
            Optional.empty(),
            ClusterToken.open(),
            Duration.ofSeconds(5),
            128,
            DEFAULT_MAX_CLOCK_OFFSET),
        new Data(Optional.empty(), StorageConfig.memory(), 1 << 20, Duration.ofMinutes(10)),
        new Replication(
            new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2)),
            new SyncConfig(Duration.ofMinutes(1), 10_000_000, Duration.ofSeconds(15), 0.25),
            new HintDelivery.Policy(Duration.ofHours(3), 1000)));
  }

  public NodeConfig withNodeId(NodeId id) {
    Cluster c = cluster;
    return withCluster(
        new Cluster(
            c.seedUrl(),
            Optional.of(id),
            c.token(),
            c.heartbeatInterval(),
            c.vnodes(),
            c.maxClockOffset()));
  }

  public NodeConfig withToken(ClusterToken token) {
    Cluster c = cluster;
    return withCluster(
        new Cluster(
            c.seedUrl(), c.nodeId(), token, c.heartbeatInterval(), c.vnodes(), c.maxClockOffset()));
  }

  public NodeConfig withMaxClockOffset(Duration offset) {
    Cluster c = cluster;
    return withCluster(
        new Cluster(c.seedUrl(), c.nodeId(), c.token(), c.heartbeatInterval(), c.vnodes(), offset));
  }

  public NodeConfig withReplication(Coordinator.Policy policy) {
    return new NodeConfig(
        network, cluster, data, new Replication(policy, replication.sync(), replication.hints()));
  }

  public NodeConfig withSync(SyncConfig sync) {
    return new NodeConfig(
        network, cluster, data, new Replication(replication.quorums(), sync, replication.hints()));
  }

  public NodeConfig withHints(HintDelivery.Policy policy) {
    return new NodeConfig(
        network, cluster, data, new Replication(replication.quorums(), replication.sync(), policy));
  }

  /** Keeps the node's files (its id, and RocksDB's when {@code engine} says so) in {@code dir}. */
  public NodeConfig withStorage(Path dir, StorageConfig engine) {
    return new NodeConfig(
        network,
        cluster,
        new Data(Optional.of(dir), engine, data.maxValueBytes(), data.tombstoneGrace()),
        replication);
  }

  public NodeConfig withLimits(HttpLimits limits) {
    Network n = network;
    return withNetwork(
        new Network(n.bind(), n.port(), n.advertise(), limits, n.peerTimeout(), n.shutdownDrain()));
  }

  public NodeConfig withShutdownDrain(Duration drain) {
    Network n = network;
    return withNetwork(
        new Network(n.bind(), n.port(), n.advertise(), n.limits(), n.peerTimeout(), drain));
  }

  private NodeConfig withCluster(Cluster changed) {
    return new NodeConfig(network, changed, data, replication);
  }

  private NodeConfig withNetwork(Network changed) {
    return new NodeConfig(changed, cluster, data, replication);
  }

  /**
   * {@code MAX_IN_FLIGHT}, {@code IDLE_TIMEOUT}, {@code HEADER_TIMEOUT}; a graceful stop waits for
   * requests in flight up to {@code SHUTDOWN_TIMEOUT}; {@code MAX_INTERNAL_IN_FLIGHT}, {@code
   * MAX_BYTES_IN_FLIGHT} (at least 1 MiB) and {@code BODY_TIMEOUT}.
   */
  private static HttpLimits limits(Settings s) {
    HttpLimits d = HttpLimits.defaults();
    return new HttpLimits(
        s.integer("MAX_IN_FLIGHT", d.maxInFlight(), 1, 1_000_000),
        s.duration("IDLE_TIMEOUT", d.idleTimeout()),
        s.duration("HEADER_TIMEOUT", d.headerTimeout()),
        s.duration("SHUTDOWN_TIMEOUT", d.stopTimeout()),
        s.integer("MAX_INTERNAL_IN_FLIGHT", d.maxInternalInFlight(), 1, 1_000_000),
        s.integer("MAX_BYTES_IN_FLIGHT", (int) d.maxBytesInFlight(), 1 << 20, Integer.MAX_VALUE),
        s.duration("BODY_TIMEOUT", d.bodyTimeout()));
  }

  /**
   * {@code ANTI_ENTROPY_INTERVAL}, {@code STREAM_RATE}, {@code HANDOFF_SETTLE} (may be {@code 0s})
   * and {@code MAX_REBALANCE_SHARE} (a fraction of the ring, above 0 and at most 1).
   */
  private static SyncConfig sync(Settings s) {
    SyncConfig d = SyncConfig.defaults();
    String share = s.string("MAX_REBALANCE_SHARE", Double.toString(d.maxRebalanceShare()));
    try {
      return new SyncConfig(
          s.duration("ANTI_ENTROPY_INTERVAL", d.antiEntropyInterval()),
          s.integer("STREAM_RATE", d.streamRate(), 1, 10_000_000),
          s.durationOrZero("HANDOFF_SETTLE", d.handoffSettle()),
          Double.parseDouble(share));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "MAX_REBALANCE_SHARE must be a fraction such as 0.25: " + share, e);
    }
  }

  /** {@code STORAGE=memory|rocksdb}; RocksDB keeps its files in {@code DATA_DIR/rocksdb}. */
  private static StorageConfig storage(Settings s, Optional<Path> dataDir) {
    String engine = s.string("STORAGE", "memory").toLowerCase(Locale.ROOT);
    boolean sync = s.bool("ROCKSDB_SYNC", false);
    switch (engine) {
      case "memory":
        return StorageConfig.memory();
      case "rocksdb":
        Path dir =
            dataDir.orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "STORAGE=rocksdb needs DATA_DIR: the RocksDB files go to DATA_DIR/rocksdb"));
        return StorageConfig.rocksDb(dir.resolve("rocksdb"), sync);
      default:
        throw new IllegalArgumentException("STORAGE must be 'memory' or 'rocksdb': " + engine);
    }
  }

  private static Consistency quorum(Settings s, String name, String fallback) {
    try {
      return Consistency.parse(name, s.string(name, fallback));
    } catch (kv.common.error.KvException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static Endpoint advertiseAddress(String text) {
    try {
      return Endpoint.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ADVERTISE_ADDR: " + e.getMessage(), e);
    }
  }

  private static NodeId nodeId(String text) {
    try {
      return NodeId.of(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("NODE_ID: " + e.getMessage(), e);
    }
  }
}
