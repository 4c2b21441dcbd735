package kv.node.handoff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.ring.HashRing;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Sloppy quorum and hinted handoff through the real HTTP API of in-process clusters. */
@Timeout(120)
class HintedHandoffTest {
  private static final Coordinator.Policy N3_W2_R2 =
      new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2));

  /**
   * Cassandra's hinted handoff dtest: every write a node missed reaches it from the hints alone.
   */
  @Test
  void aRestartedReplicaReceivesEveryWriteItMissedFromHints() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId b = cluster.id(2);
      List<NodeId> others = List.of(cluster.id(1), cluster.id(3));
      cluster.crash(b);

      for (int i = 0; i < 1000; i++) {
        String via = cluster.url(others.get(i % 2));
        assertThat(client.put(via, "key-" + i, bytes("value-" + i), "&w=1").statusCode())
            .isEqualTo(204);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> pending(cluster, others) == 1000);

      cluster.restart(b); // memory storage: b comes back empty
      tickUntil(cluster, () -> pending(cluster, others) == 0);
      others.forEach(cluster::crash);

      for (int i = 0; i < 1000; i++) {
        HttpResponse<byte[]> got = cluster.client().get(cluster.url(b), "key-" + i, "&r=1");
        assertThat(got.statusCode()).as("key-%d", i).isEqualTo(200);
        assertThat(got.body()).as("key-%d", i).isEqualTo(bytes("value-" + i));
      }
    }
  }

  @Test
  void hintsSurviveARestartOfTheNodeHoldingThem(@TempDir Path data) {
    try (var cluster = TestCluster.start(3, N3_W2_R2, TestCluster.onDisk(data))) {
      var client = cluster.client();
      NodeId holder = cluster.id(1);
      NodeId away = cluster.id(3);
      cluster.crash(away);
      for (int i = 0; i < 50; i++) {
        assertThat(client.put(cluster.url(holder), "key-" + i, bytes("v" + i)).statusCode())
            .isEqualTo(204);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.node(holder).hints().pending() == 50);

      cluster.crash(holder);
      cluster.restart(holder);
      assertThat(cluster.node(holder).hints().pending()).as("hints after restart").isEqualTo(50);

      cluster.restart(away);
      tickUntil(cluster, () -> cluster.node(holder).hints().pending() == 0);
      for (int i = 0; i < 50; i++) {
        assertThat(
                cluster
                    .node(away)
                    .storage()
                    .get(Key.of("key-" + i))
                    .flatMap(Versioned::liveValue)
                    .map(v -> new String(v.toBytes(), StandardCharsets.UTF_8)))
            .as("key-%d on %s", i, away)
            .contains("v" + i);
      }
    }
  }

  @Test
  void aDeleteMadeDuringAPartitionReachesTheReplicaAsAHintedTombstone() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId away = cluster.id(3);
      NodeId coordinator = cluster.id(1);
      client.put(cluster.url(coordinator), "k", bytes("doomed"), "&w=all");
      cluster.partition(away, coordinator);
      cluster.partition(away, cluster.id(2));

      assertThat(client.delete(cluster.url(coordinator), "k").statusCode()).isEqualTo(204);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.node(coordinator).hints().pending() == 1);
      cluster.heal();
      cluster.tick(); // hinted handoff, before any read could repair it

      assertThat(cluster.node(away).storage().get(Key.of("k")).orElseThrow().isTombstone())
          .as("the tombstone on the replica that missed the delete")
          .isTrue();
      assertThat(cluster.node(coordinator).hints().pending()).isZero();
      for (NodeId via : cluster.liveNodes()) {
        assertThat(client.get(cluster.url(via), "k", "&r=all").statusCode())
            .as("GET via %s", via)
            .isEqualTo(404);
      }
    }
  }

  @Test
  void theNextNodeOnTheRingStandsInForADownReplicaAndItsAckCountsTowardW() {
    try (var cluster = TestCluster.start(4)) {
      var client = cluster.client();
      String key = "sloppy";
      List<NodeId> walk =
          HashRing.of(cluster.liveNodes(), 128).preferenceList(Key.of(key).token(), 4);
      NodeId coordinator = walk.get(0);
      NodeId down = walk.get(2);
      NodeId standIn = walk.get(3);
      cluster.crash(down);

      HttpResponse<byte[]> put = client.put(cluster.url(coordinator), key, bytes("v"), "&w=all");

      assertThat(put.statusCode()).as("w=all met by the stand-in").isEqualTo(204);
      assertThat(put.headers().firstValue("X-Kv-Served-By").orElseThrow().split(","))
          .contains(standIn.value())
          .doesNotContain(down.value());
      assertThat(cluster.node(standIn).hints().pending()).isEqualTo(1);
      assertThat(cluster.node(standIn).storage().get(Key.of(key))).as("not its own data").isEmpty();
      assertThat(cluster.node(coordinator).hints().pending()).isZero();

      cluster.restart(down);
      tickUntil(cluster, () -> cluster.node(standIn).hints().pending() == 0);

      assertThat(cluster.node(down).storage().get(Key.of(key)).flatMap(Versioned::liveValue))
          .hasValueSatisfying(v -> assertThat(v.toBytes()).isEqualTo(bytes("v")));
      assertThat(cluster.node(standIn).storage().get(Key.of(key))).isEmpty();
      String metrics = scrape(cluster, standIn);
      assertThat(value(metrics, "kv_hints_stored_total")).isEqualTo(1);
      assertThat(value(metrics, "kv_hints_delivered_total")).isEqualTo(1);
      assertThat(value(metrics, "kv_hints_pending")).isZero();
    }
  }

  @Test
  void withNoNodeToStandInTheCoordinatorKeepsTheHintAndItDoesNotCountTowardW() {
    try (var cluster = TestCluster.start(3)) {
      NodeId coordinator = cluster.id(1);
      cluster.crash(cluster.id(3));

      HttpResponse<byte[]> put =
          cluster.client().put(cluster.url(coordinator), "k", bytes("v"), "&w=all");

      assertThat(put.statusCode()).isEqualTo(503);
      assertThat(cluster.node(coordinator).hints().pending()).isEqualTo(1);
      assertThat(cluster.node(coordinator).hints().targets()).containsExactly(cluster.id(3));
    }
  }

  @Test
  void aPassDeliversNoMoreHintsThanTheRateAllows() {
    try (var cluster =
        TestCluster.start(
            3,
            N3_W2_R2,
            (id, config) ->
                config.withHints(new HintDelivery.Policy(Duration.ofMinutes(5), 100)))) {
      NodeId holder = cluster.id(1);
      NodeId away = cluster.id(3);
      cluster.partition(holder, away);
      for (int i = 0; i < 250; i++) {
        cluster.client().put(cluster.url(holder), "key-" + i, bytes("v"));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.node(holder).hints().pending() == 250);
      cluster.heal();

      cluster.tick();
      assertThat(cluster.node(holder).hints().pending()).isEqualTo(150);
      assertThat(cluster.node(away).storage().size()).isEqualTo(100);
      cluster.tick();
      assertThat(cluster.node(holder).hints().pending()).isEqualTo(50);
      cluster.tick();
      assertThat(cluster.node(holder).hints().pending()).isZero();
      assertThat(cluster.node(away).storage().size()).isEqualTo(250);
    }
  }

  @Test
  void hintsOlderThanTheWindowAreDroppedAndCounted() {
    try (var cluster =
        TestCluster.start(
            3,
            N3_W2_R2,
            (id, config) ->
                config.withHints(new HintDelivery.Policy(Duration.ofMinutes(1), 1000)))) {
      NodeId holder = cluster.id(1);
      NodeId away = cluster.id(3);
      cluster.partition(holder, away);
      for (int i = 0; i < 10; i++) {
        cluster.client().put(cluster.url(holder), "key-" + i, bytes("v"));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.node(holder).hints().pending() == 10);

      cluster.clock().advance(Duration.ofMinutes(1));
      cluster.node(holder).tick(); // exactly one window old: kept (delivery fails, partitioned)
      assertThat(cluster.node(holder).hints().pending()).isEqualTo(10);

      cluster.clock().advance(Duration.ofMillis(1));
      cluster.heal();
      cluster.node(holder).tick();
      assertThat(cluster.node(holder).hints().pending()).isZero();
      assertThat(cluster.node(away).storage().size()).as("expired, not delivered").isZero();
      assertThat(value(scrape(cluster, holder), "kv_hints_expired_total")).isEqualTo(10);
    }
  }

  @Test
  void hintsNeverOutliveTheTombstoneGracePeriod() {
    try (var cluster = TestCluster.start(3)) { // HINT_WINDOW 3h, TOMBSTONE_GRACE 10m
      NodeId holder = cluster.id(1);
      cluster.partition(holder, cluster.id(3));
      cluster.client().put(cluster.url(holder), "k", bytes("v"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.node(holder).hints().pending() == 1);

      cluster.clock().advance(Duration.ofMinutes(10).plusMillis(1));
      cluster.node(holder).tick();

      assertThat(cluster.node(holder).hints().pending()).isZero();
    }
  }

  @Test
  void aHintedWriteNamingAnInvalidNodeIsRejectedAndStoresNothing() {
    try (var cluster = TestCluster.start(1)) {
      NodeId node = cluster.id(1);
      HttpResponse<byte[]> bad =
          cluster
              .client()
              .send(
                  HttpTestClient.request(cluster.url(node), "/internal/kv?key=k&hint=no%20spaces")
                      .header(ClusterToken.HEADER, "test-cluster-token")
                      .header("X-Kv-Version", "1@node-1")
                      .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes("v")))
                      .build());

      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(new String(bad.body(), StandardCharsets.UTF_8)).contains("hint");
      assertThat(cluster.node(node).hints().pending()).isZero();
      assertThat(cluster.node(node).storage().get(Key.of("k"))).isEmpty();
    }
  }

  /** Ticks the cluster until {@code done} holds, at most 10 times (50 s of cluster time). */
  private static void tickUntil(TestCluster cluster, BooleanSupplier done) {
    for (int i = 0; i < 10 && !done.getAsBoolean(); i++) {
      cluster.tick();
    }
    assertThat(done.getAsBoolean()).as("done within 10 ticks").isTrue();
  }

  private static long pending(TestCluster cluster, List<NodeId> holders) {
    return holders.stream().mapToLong(n -> cluster.node(n).hints().pending()).sum();
  }

  private static String scrape(TestCluster cluster, NodeId node) {
    var response = cluster.client().send("GET", cluster.url(node), "/metrics", null);
    assertThat(response.statusCode()).isEqualTo(200);
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static double value(String scraped, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE)
            .matcher(scraped);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
