package kv.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import kv.common.Settings;
import kv.common.http.HttpLimits;
import kv.node.handoff.HintDelivery;
import kv.node.storage.InMemoryStorageEngine;
import kv.node.storage.RocksDbStorageEngine;
import kv.node.storage.StorageConfig;
import kv.node.storage.StorageEngine;
import kv.node.sync.SyncConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  @Test
  void storageIsInMemoryByDefaultWithOrWithoutADataDirectory() {
    assertThat(config(Map.of()).data().storage()).isEqualTo(StorageConfig.memory());
    assertThat(config(Map.of("DATA_DIR", "/var/kv")).data().storage())
        .isEqualTo(StorageConfig.memory());
  }

  @Test
  void rocksDbKeepsItsFilesUnderDataDirAndSyncIsOptIn() {
    StorageConfig storage =
        config(Map.of("STORAGE", "rocksdb", "DATA_DIR", "/data")).data().storage();
    assertThat(storage.kind()).isEqualTo(StorageConfig.Kind.ROCKSDB);
    assertThat(storage.directory()).contains(Path.of("/data", "rocksdb"));
    assertThat(storage.syncWrites()).isFalse();
    assertThat(
            config(Map.of("STORAGE", "RocksDB", "DATA_DIR", "/data", "ROCKSDB_SYNC", "true"))
                .data()
                .storage()
                .syncWrites())
        .isTrue();
  }

  @Test
  void rocksDbWithoutADataDirectoryIsAClearError() {
    assertThatThrownBy(() -> config(Map.of("STORAGE", "rocksdb")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("STORAGE=rocksdb needs DATA_DIR");
  }

  @Test
  void unknownEnginesAndBadSyncValuesAreRejectedByName() {
    assertThatThrownBy(() -> config(Map.of("STORAGE", "leveldb")))
        .hasMessageContaining("STORAGE must be 'memory' or 'rocksdb': leveldb");
    assertThatThrownBy(
            () -> config(Map.of("STORAGE", "rocksdb", "DATA_DIR", "/d", "ROCKSDB_SYNC", "always")))
        .hasMessageContaining("ROCKSDB_SYNC");
  }

  @Test
  void storageConfigOpensTheEngineItNames(@TempDir Path dir) {
    try (StorageEngine memory = StorageConfig.memory().open();
        StorageEngine disk = StorageConfig.rocksDb(dir.resolve("rocksdb"), false).open()) {
      assertThat(memory).isInstanceOf(InMemoryStorageEngine.class);
      assertThat(disk).isInstanceOf(RocksDbStorageEngine.class);
    }
    assertThat(dir.resolve("rocksdb")).isDirectory();
    assertThatThrownBy(() -> new StorageConfig(StorageConfig.Kind.ROCKSDB, Optional.empty(), false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hintWindowAndRateComeFromEnvironmentOrFlagsWithCassandraLikeDefaults() {
    assertThat(config(Map.of()).replication().hints())
        .isEqualTo(new HintDelivery.Policy(Duration.ofHours(3), 1000));
    NodeConfig set =
        NodeConfig.from(
            Settings.from(Map.of("HINT_WINDOW", "30m", "CLUSTER_TOKEN", "t"), "--hint-rate=50"));
    assertThat(set.replication().hints())
        .isEqualTo(new HintDelivery.Policy(Duration.ofMinutes(30), 50));
    assertThatThrownBy(() -> config(Map.of("HINT_RATE", "0"))).hasMessageContaining("HINT_RATE");
    assertThatThrownBy(() -> config(Map.of("HINT_WINDOW", "soon")))
        .hasMessageContaining("HINT_WINDOW");
  }

  @Test
  void serverLimitsAndShutdownDrainHaveDefaultsAndCanBeSet() {
    NodeConfig defaults = config(Map.of());
    assertThat(defaults.network().limits()).isEqualTo(HttpLimits.defaults());
    assertThat(defaults.network().limits().maxInFlight()).isEqualTo(256);
    assertThat(defaults.network().shutdownDrain()).isEqualTo(Duration.ofSeconds(2));

    assertThat(defaults.network().limits().maxInternalInFlight()).isEqualTo(128);
    assertThat(defaults.network().limits().maxBytesInFlight()).isEqualTo(32 << 20);
    assertThat(defaults.network().limits().bodyTimeout()).isEqualTo(Duration.ofSeconds(10));

    NodeConfig set =
        config(
            Map.of(
                "MAX_IN_FLIGHT",
                "8",
                "IDLE_TIMEOUT",
                "500ms",
                "HEADER_TIMEOUT",
                "2s",
                "SHUTDOWN_TIMEOUT",
                "3s",
                "SHUTDOWN_DRAIN",
                "0s",
                "MAX_INTERNAL_IN_FLIGHT",
                "4",
                "MAX_BYTES_IN_FLIGHT",
                "2097152",
                "BODY_TIMEOUT",
                "1s"));
    assertThat(set.network().limits())
        .isEqualTo(
            new HttpLimits(
                8,
                Duration.ofMillis(500),
                Duration.ofSeconds(2),
                Duration.ofSeconds(3),
                4,
                2 << 20,
                Duration.ofSeconds(1)));
    assertThat(set.network().shutdownDrain()).isZero();

    assertThatThrownBy(() -> config(Map.of("MAX_IN_FLIGHT", "0")))
        .hasMessageContaining("MAX_IN_FLIGHT");
    assertThatThrownBy(() -> config(Map.of("IDLE_TIMEOUT", "0s")))
        .hasMessageContaining("IDLE_TIMEOUT");
    assertThatThrownBy(() -> config(Map.of("MAX_BYTES_IN_FLIGHT", "1000")))
        .hasMessageContaining("MAX_BYTES_IN_FLIGHT");
    assertThatThrownBy(() -> config(Map.of("BODY_TIMEOUT", "0s")))
        .hasMessageContaining("BODY_TIMEOUT");
    assertThatThrownBy(() -> config(Map.of("MAX_INTERNAL_IN_FLIGHT", "none")))
        .hasMessageContaining("MAX_INTERNAL_IN_FLIGHT");
    assertThatThrownBy(() -> config(Map.of("SHUTDOWN_DRAIN", "soon")))
        .hasMessageContaining("SHUTDOWN_DRAIN");
  }

  @Test
  void antiEntropyIntervalAndStreamRateHaveDefaultsAndRefuseGarbage() {
    assertThat(config(Map.of()).replication().sync()).isEqualTo(SyncConfig.defaults());
    assertThat(
            config(Map.of("ANTI_ENTROPY_INTERVAL", "30s", "STREAM_RATE", "500"))
                .replication()
                .sync())
        .isEqualTo(new SyncConfig(Duration.ofSeconds(30), 500, Duration.ofMinutes(5), 0.25));
    assertThatThrownBy(() -> config(Map.of("ANTI_ENTROPY_INTERVAL", "often")))
        .hasMessageContaining("ANTI_ENTROPY_INTERVAL");
    assertThatThrownBy(() -> config(Map.of("ANTI_ENTROPY_INTERVAL", "0s")))
        .hasMessageContaining("ANTI_ENTROPY_INTERVAL");
    assertThatThrownBy(() -> config(Map.of("STREAM_RATE", "0")))
        .hasMessageContaining("STREAM_RATE");
    assertThatThrownBy(() -> config(Map.of("STREAM_RATE", "fast")))
        .hasMessageContaining("STREAM_RATE");
  }

  @Test
  void maxClockOffsetIsHalfASecondByDefaultAndMustBePositive() {
    assertThat(config(Map.of()).cluster().maxClockOffset()).isEqualTo(Duration.ofMillis(500));
    assertThat(config(Map.of("MAX_CLOCK_OFFSET", "250ms")).cluster().maxClockOffset())
        .isEqualTo(Duration.ofMillis(250));
    assertThat(
            NodeConfig.from(Settings.from(Map.of("CLUSTER_TOKEN", "t"), "--max-clock-offset=2s"))
                .cluster()
                .maxClockOffset())
        .isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> config(Map.of("MAX_CLOCK_OFFSET", "0s")))
        .hasMessageContaining("MAX_CLOCK_OFFSET");
    assertThatThrownBy(() -> config(Map.of("MAX_CLOCK_OFFSET", "half a second")))
        .hasMessageContaining("MAX_CLOCK_OFFSET");
  }

  @Test
  void aNodeRefusesToStartWithoutAClusterSecretUnlessToldToRunOpen() {
    assertThatThrownBy(() -> NodeConfig.from(Settings.from(Map.of())))
        .hasMessageContaining("no cluster secret")
        .hasMessageContaining("ALLOW_OPEN_CLUSTER");
    assertThatThrownBy(() -> NodeConfig.from(Settings.from(Map.of("CLUSTER_TOKEN", "   "))))
        .hasMessageContaining("CLUSTER_TOKEN is blank");
    assertThat(
            NodeConfig.from(Settings.from(Map.of("ALLOW_OPEN_CLUSTER", "true")))
                .cluster()
                .token()
                .isOpen())
        .isTrue();
    assertThat(config(Map.of()).cluster().token().admits("node-config-test-token")).isTrue();
  }

  @Test
  void advertiseAddrMustBeHostColonPort() {
    assertThat(config(Map.of("ADVERTISE_ADDR", "10.0.0.5:8080")).network().advertise())
        .contains(kv.common.Endpoint.parse("10.0.0.5:8080"));
    for (String bad :
        new String[] {
          "10.0.0.5",
          "user@host:8080",
          "host name:8080",
          "host:8080\r\nX: y",
          "h".repeat(254) + ":8080",
          "host:0",
          "::1:8080"
        }) {
      assertThatThrownBy(() -> config(Map.of("ADVERTISE_ADDR", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("ADVERTISE_ADDR: ");
    }
  }

  /** {@code env} plus a cluster token, which every node needs to start at all. */
  @Test
  void handoffSettleAndRebalanceShareHaveDefaultsAndRefuseGarbage() {
    assertThat(config(Map.of()).replication().sync().handoffSettle())
        .isEqualTo(Duration.ofMinutes(5));
    assertThat(config(Map.of()).replication().sync().maxRebalanceShare()).isEqualTo(0.25);
    SyncConfig set =
        config(Map.of("HANDOFF_SETTLE", "0s", "MAX_REBALANCE_SHARE", "1")).replication().sync();
    assertThat(set.handoffSettle()).isZero();
    assertThat(set.maxRebalanceShare()).isEqualTo(1.0);
    for (String share : new String[] {"0", "1.5", "-0.1", "NaN", "a quarter"}) {
      assertThatThrownBy(() -> config(Map.of("MAX_REBALANCE_SHARE", share)))
          .as(share)
          .hasMessageContaining("MAX_REBALANCE_SHARE");
    }
    assertThatThrownBy(() -> config(Map.of("HANDOFF_SETTLE", "soon")))
        .hasMessageContaining("HANDOFF_SETTLE");
  }

  private static NodeConfig config(Map<String, String> env) {
    Map<String, String> withToken = new java.util.HashMap<>(env);
    withToken.putIfAbsent("CLUSTER_TOKEN", "node-config-test-token");
    return NodeConfig.from(Settings.from(withToken));
  }
}
