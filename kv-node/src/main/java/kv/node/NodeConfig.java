package kv.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
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

/** A node's settings; {@link #from} reads the variables listed in the README. */
public record NodeConfig(
    String bind,
    int port,
    Optional<Endpoint> advertise,
    String seedUrl,
    Optional<NodeId> nodeId,
    Optional<Path> dataDir,
    StorageConfig storage,
    Duration heartbeatInterval,
    int vnodes,
    int maxValueBytes,
    Duration peerTimeout,
    ClusterToken token,
    Coordinator.Policy replication,
    Duration tombstoneGrace,
    SyncConfig sync,
    HintDelivery.Policy hints,
    HttpLimits limits,
    Duration shutdownDrain,
    Duration maxClockOffset) {

  /** How far ahead of this node's clock an outside timestamp may be ({@code MAX_CLOCK_OFFSET}). */
  public static final Duration DEFAULT_MAX_CLOCK_OFFSET = Duration.ofMillis(500);

  public static NodeConfig from(Settings s) {
    Optional<Path> dataDir = s.optional("DATA_DIR").map(Path::of);
    return new NodeConfig(
        s.string("NODE_BIND", "0.0.0.0"),
        s.integer("NODE_PORT", 8080, 0, 65_535),
        s.optional("ADVERTISE_ADDR").map(NodeConfig::advertiseAddress),
        s.string("SEED_URL", "http://seed:9000"),
        s.optional("NODE_ID").map(NodeConfig::nodeId),
        dataDir,
        storage(s, dataDir),
        s.duration("HEARTBEAT_INTERVAL", Duration.ofSeconds(5)),
        s.integer("VNODES", 128, 1, 4096),
        s.integer("MAX_VALUE_BYTES", 1 << 20, 0, 64 << 20),
        s.duration("PEER_TIMEOUT", Duration.ofSeconds(2)),
        ClusterTokenConfig.read(s),
        new Coordinator.Policy(
            s.integer("REPLICATION_FACTOR", 3, 1, 16),
            quorum(s, "WRITE_QUORUM", "2"),
            quorum(s, "READ_QUORUM", "2")),
        s.duration("TOMBSTONE_GRACE", Duration.ofDays(1)),
        sync(s),
        new HintDelivery.Policy(
            s.duration("HINT_WINDOW", Duration.ofHours(3)),
            s.integer("HINT_RATE", 1000, 1, 1_000_000)),
        limits(s),
        s.durationOrZero("SHUTDOWN_DRAIN", Duration.ofSeconds(2)),
        s.duration("MAX_CLOCK_OFFSET", DEFAULT_MAX_CLOCK_OFFSET));
  }

  /** A node for the in-process harness: loopback, any port, in memory. */
  public static NodeConfig forTests(String seedUrl) {
    return new NodeConfig(
        "127.0.0.1",
        0,
        Optional.empty(),
        seedUrl,
        Optional.empty(),
        Optional.empty(),
        StorageConfig.memory(),
        Duration.ofSeconds(5),
        128,
        1 << 20,
        Duration.ofSeconds(2),
        ClusterToken.open(),
        new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2)),
        Duration.ofMinutes(10),
        new SyncConfig(Duration.ofMinutes(1), 10_000_000, Duration.ofSeconds(15), 0.25),
        new HintDelivery.Policy(Duration.ofHours(3), 1000),
        HttpLimits.defaults(),
        Duration.ZERO,
        DEFAULT_MAX_CLOCK_OFFSET);
  }

  public NodeConfig withNodeId(NodeId id) {
    return with(b -> b.nodeId = Optional.of(id));
  }

  public NodeConfig withToken(ClusterToken token) {
    return with(b -> b.token = token);
  }

  public NodeConfig withReplication(Coordinator.Policy policy) {
    return with(b -> b.replication = policy);
  }

  public NodeConfig withSync(SyncConfig sync) {
    return with(b -> b.sync = sync);
  }

  public NodeConfig withHints(HintDelivery.Policy policy) {
    return with(b -> b.hints = policy);
  }

  /** Keeps the node's files (its id, and RocksDB's when {@code engine} says so) in {@code dir}. */
  public NodeConfig withStorage(Path dir, StorageConfig engine) {
    return with(
        b -> {
          b.dataDir = Optional.of(dir);
          b.storage = engine;
        });
  }

  public NodeConfig withLimits(HttpLimits limits) {
    return with(b -> b.limits = limits);
  }

  public NodeConfig withShutdownDrain(Duration drain) {
    return with(b -> b.shutdownDrain = drain);
  }

  public NodeConfig withMaxClockOffset(Duration offset) {
    return with(b -> b.maxClockOffset = offset);
  }

  private NodeConfig with(Consumer<Copy> change) {
    Copy copy = new Copy(this);
    change.accept(copy);
    return copy.build();
  }

  /** The settings as mutable fields, for the withers above: a record has no copy-with. */
  private static final class Copy {
    String bind;
    int port;
    Optional<Endpoint> advertise;
    String seedUrl;
    Optional<NodeId> nodeId;
    Optional<Path> dataDir;
    StorageConfig storage;
    Duration heartbeatInterval;
    int vnodes;
    int maxValueBytes;
    Duration peerTimeout;
    ClusterToken token;
    Coordinator.Policy replication;
    Duration tombstoneGrace;
    SyncConfig sync;
    HintDelivery.Policy hints;
    HttpLimits limits;
    Duration shutdownDrain;
    Duration maxClockOffset;

    Copy(NodeConfig c) {
      bind = c.bind;
      port = c.port;
      advertise = c.advertise;
      seedUrl = c.seedUrl;
      nodeId = c.nodeId;
      dataDir = c.dataDir;
      storage = c.storage;
      heartbeatInterval = c.heartbeatInterval;
      vnodes = c.vnodes;
      maxValueBytes = c.maxValueBytes;
      peerTimeout = c.peerTimeout;
      token = c.token;
      replication = c.replication;
      tombstoneGrace = c.tombstoneGrace;
      sync = c.sync;
      hints = c.hints;
      limits = c.limits;
      shutdownDrain = c.shutdownDrain;
      maxClockOffset = c.maxClockOffset;
    }

    NodeConfig build() {
      return new NodeConfig(
          bind,
          port,
          advertise,
          seedUrl,
          nodeId,
          dataDir,
          storage,
          heartbeatInterval,
          vnodes,
          maxValueBytes,
          peerTimeout,
          token,
          replication,
          tombstoneGrace,
          sync,
          hints,
          limits,
          shutdownDrain,
          maxClockOffset);
    }
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
