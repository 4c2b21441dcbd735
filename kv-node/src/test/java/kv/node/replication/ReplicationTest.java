package kv.node.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dynamo-style replication through the real HTTP API of an in-process cluster (N=3, W=2, R=2). */
class ReplicationTest {
  private final ObjectMapper json = new ObjectMapper();

  @ParameterizedTest(name = "node-{0} down")
  @ValueSource(ints = {1, 2, 3})
  @Timeout(120)
  void losingAnyOneNodeLosesNothing(int victim) {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      for (int i = 0; i < 1000; i++) {
        String via = cluster.url(cluster.id(1 + i % 3));
        assertThat(client.put(via, "key-" + i, bytes("v1-" + i)).statusCode()).isEqualTo(204);
      }
      for (int i = 0; i < 1000; i += 2) { // overwrite half, so a stale answer would show
        assertThat(
                client
                    .put(cluster.url(cluster.id(1 + i % 3)), "key-" + i, bytes("v2-" + i))
                    .statusCode())
            .isEqualTo(204);
      }

      cluster.crash(cluster.id(victim));

      List<NodeId> survivors = cluster.liveNodes();
      for (int i = 0; i < 1000; i++) {
        HttpResponse<byte[]> got = client.get(cluster.url(survivors.get(i % 2)), "key-" + i);
        assertThat(got.statusCode()).as("key-%d", i).isEqualTo(200);
        assertThat(got.body()).as("key-%d", i).isEqualTo(bytes((i % 2 == 0 ? "v2-" : "v1-") + i));
      }
    }
  }

  @Test
  void quorumsFollowTheRequestAndFailWithCountsWhenTheyCannotBeMet() throws IOException {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      String entry = cluster.url(cluster.id(1));
      client.put(entry, "k", bytes("v"), "&w=all");
      cluster.crash(cluster.id(3));

      HttpResponse<byte[]> writeAll = client.put(entry, "k", bytes("v2"), "&w=all");
      assertThat(writeAll.statusCode()).isEqualTo(503);
      JsonNode body = json.readTree(writeAll.body());
      assertThat(body.get("error").asText()).isEqualTo("quorum_not_met");
      assertThat(body.get("required").asInt()).isEqualTo(3);
      assertThat(body.get("acknowledged").asInt()).isEqualTo(2);
      assertThat(body.get("message").asText()).contains("2 of the 3");

      HttpResponse<byte[]> readAll = client.get(entry, "k", "&r=all");
      assertThat(readAll.statusCode()).isEqualTo(503);
      assertThat(json.readTree(readAll.body()).get("acknowledged").asInt()).isEqualTo(2);

      for (String level : new String[] {"1", "one", "2", "quorum"}) {
        assertThat(client.put(entry, "k", bytes("v-" + level), "&w=" + level).statusCode())
            .isEqualTo(204);
        assertThat(client.get(entry, "k", "&r=" + level).body()).isEqualTo(bytes("v-" + level));
      }
      assertThat(client.delete(entry, "k", "&w=one").statusCode()).isEqualTo(204);
      assertThat(client.get(entry, "k", "&r=1").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aWriteAcknowledgedAtWIsSeenByEveryReadAtR() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId lagging = cluster.id(3);
      client.put(cluster.url(cluster.id(1)), "k", bytes("old"), "&w=all");
      cluster.partition(cluster.id(1), lagging); // the coordinator cannot reach node-3
      assertThat(client.put(cluster.url(cluster.id(1)), "k", bytes("new")).statusCode())
          .isEqualTo(204); // W=2 without node-3
      cluster.heal();

      assertThat(cluster.node(lagging).storage().get(Key.of("k")).orElseThrow().value().toBytes())
          .isEqualTo(bytes("old"));
      for (NodeId via : cluster.liveNodes()) { // R=2 always overlaps the W=2 that saw "new"
        assertThat(client.get(cluster.url(via), "k").body()).isEqualTo(bytes("new"));
      }
    }
  }

  @Test
  void readRepairBringsAStaleReplicaUpToDateInTheBackground() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId stale = cluster.id(3);
      cluster.partition(cluster.id(1), stale);
      client.put(cluster.url(cluster.id(1)), "k", bytes("fresh"));
      cluster.heal();
      assertThat(cluster.node(stale).storage().get(Key.of("k"))).isEmpty();

      assertThat(client.get(cluster.url(cluster.id(1)), "k").body()).isEqualTo(bytes("fresh"));

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          cluster
                              .node(stale)
                              .storage()
                              .get(Key.of("k"))
                              .flatMap(Versioned::liveValue))
                      .hasValueSatisfying(v -> assertThat(v.toBytes()).isEqualTo(bytes("fresh"))));
    }
  }

  @Test
  void aDeleteMadeWhileAReplicaWasAwayDoesNotComeBack() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId away = cluster.id(3);
      client.put(cluster.url(cluster.id(1)), "k", bytes("doomed"), "&w=all");

      cluster.partition(away, cluster.id(1));
      cluster.partition(away, cluster.id(2));
      assertThat(client.delete(cluster.url(cluster.id(1)), "k").statusCode()).isEqualTo(204);
      assertThat(cluster.node(away).storage().get(Key.of("k")).orElseThrow().isTombstone())
          .isFalse();
      cluster.heal();

      for (NodeId via : List.of(away, cluster.id(1), cluster.id(2), away)) {
        assertThat(client.get(cluster.url(via), "k").statusCode())
            .as("GET via %s", via)
            .isEqualTo(404);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          cluster.node(away).storage().get(Key.of("k")).orElseThrow().isTombstone())
                      .isTrue());
    }
  }

  @Test
  @Timeout(120)
  void concurrentWritersAndDeletesConvergeOnOneVersionEverywhere() throws Exception {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      List<String> keys = List.of("hot-1", "hot-2", "hot-3", "hot-4", "hot-5");
      ExecutorService writers = Executors.newFixedThreadPool(6);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
          String via = cluster.url(cluster.id(1 + w % 3));
          int writer = w;
          done.add(
              writers.submit(
                  () -> {
                    for (int i = 0; i < 100; i++) {
                      String key = keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
                      int status =
                          (i + writer) % 4 == 0
                              ? client.delete(via, key).statusCode()
                              : client.put(via, key, bytes("w" + writer + "-" + i)).statusCode();
                      assertThat(status).isEqualTo(204);
                    }
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        writers.shutdownNow();
      }

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                for (String key : keys) {
                  List<Optional<Versioned>> replicas =
                      cluster.liveNodes().stream()
                          .map(n -> cluster.node(n).storage().get(Key.of(key)))
                          .toList();
                  assertThat(replicas).as(key).allSatisfy(r -> assertThat(r).isPresent());
                  assertThat(replicas.stream().map(r -> r.orElseThrow().version()).distinct())
                      .as(key)
                      .hasSize(1);
                }
              });
    }
  }

  @Test
  void aLateOlderReplicaWriteNeverOverwritesANewerOne() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      String node = cluster.url(cluster.id(1));
      client.put(node, "k", bytes("newer"), "&w=all");
      Version current =
          cluster.node(cluster.id(1)).storage().get(Key.of("k")).orElseThrow().version();
      Version older = new Version(current.timestamp() - 1, NodeId.of("node-9"));

      HttpResponse<byte[]> late =
          client.send(
              HttpTestClient.request(node, "/internal/kv?key=k")
                  .header(ClusterToken.HEADER, "test-cluster-token")
                  .header("X-Kv-Version", older.toString())
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes("older")))
                  .build());

      assertThat(late.statusCode()).isEqualTo(204); // accepted and ignored: replays are harmless
      assertThat(client.get(node, "k", "&r=all").body()).isEqualTo(bytes("newer"));
    }
  }

  @Test
  void tombstonesArePurgedOnlyAfterTheGracePeriod() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      client.put(cluster.url(cluster.id(1)), "k", bytes("v"), "&w=all");
      client.delete(cluster.url(cluster.id(1)), "k", "&w=all");

      cluster.clock().advance(Duration.ofMinutes(9));
      afterTheJump(cluster);
      cluster
          .liveNodes()
          .forEach(n -> assertThat(cluster.node(n).storage().get(Key.of("k"))).isPresent());

      cluster.clock().advance(Duration.ofMinutes(2)); // now past the 10-minute grace
      afterTheJump(cluster);
      cluster
          .liveNodes()
          .forEach(n -> assertThat(cluster.node(n).storage().get(Key.of("k"))).isEmpty());
      assertThat(client.get(cluster.url(cluster.id(2)), "k").statusCode()).isEqualTo(404);
    }
  }

  /**
   * A jump of minutes without heartbeats expires every node at the seed; they register again one by
   * one, and each re-appearing node pulls its ranges back. Lets that settle, then ticks once more
   * so the purge runs with every replica answering.
   */
  private static void afterTheJump(TestCluster cluster) {
    cluster.tick();
    cluster.settle();
    cluster.rebalance(20);
    cluster.tick();
  }

  @Test
  void aTombstoneIsKeptWhileAReplicaStillHoldsTheValueItDeleted() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId away = cluster.id(3);
      client.put(cluster.url(cluster.id(1)), "k", bytes("v"), "&w=all");
      cluster.partition(away, cluster.id(1));
      cluster.partition(away, cluster.id(2));
      assertThat(client.delete(cluster.url(cluster.id(1)), "k").statusCode()).isEqualTo(204);

      for (int i = 0; i < 11 * 12; i++) { // 11 minutes of heartbeats: past the grace, hint expired
        cluster.tick();
      }
      for (NodeId node : List.of(cluster.id(1), cluster.id(2))) { // the away replica can't be asked
        assertThat(cluster.node(node).storage().get(Key.of("k")).orElseThrow().isTombstone())
            .as("tombstone on %s", node)
            .isTrue();
      }

      cluster.heal();
      cluster
          .tick(); // the purge finds the old value on the away replica and sends it the tombstone
      assertThat(cluster.node(away).storage().get(Key.of("k")).filter(r -> !r.isTombstone()))
          .as("the deleted value on the replica that missed the delete")
          .isEmpty();
      cluster.tick();
      cluster.tick();
      cluster
          .liveNodes()
          .forEach(
              n -> assertThat(cluster.node(n).storage().get(Key.of("k"))).as("on %s", n).isEmpty());
      assertThat(client.get(cluster.url(away), "k", "&r=all").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void replicationFactorIsCappedByLiveNodesAndNEqualsOneIsASingleOwner() {
    try (var cluster = TestCluster.start(2)) {
      var client = cluster.client();
      HttpResponse<byte[]> put = client.put(cluster.url(cluster.id(1)), "k", bytes("v"), "&w=all");
      assertThat(put.statusCode()).isEqualTo(204);
      assertThat(put.headers().firstValue("X-Kv-Owner").orElseThrow().split(",")).hasSize(2);
    }
    try (var cluster =
        TestCluster.start(
            3, new Coordinator.Policy(1, Consistency.exactly(1), Consistency.exactly(1)))) {
      var client = cluster.client();
      client.put(cluster.url(cluster.id(1)), "k", bytes("v"));
      assertThat(
              cluster.liveNodes().stream().mapToLong(n -> cluster.node(n).storage().size()).sum())
          .isEqualTo(1);
      assertThat(client.get(cluster.url(cluster.id(3)), "k").body()).isEqualTo(bytes("v"));
    }
  }

  @Test
  void aNodeThatSeesFewerMembersThanTheClusterHadRefusesWritesItCannotGiveWCopies()
      throws IOException {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId first = cluster.id(1);
      cluster.stopSeed();
      cluster.clock().advance(Duration.ofMinutes(1)); // a restarted seed's list versions are later
      cluster.restartSeed(); // it knows nobody: every node must register again
      cluster.clock().advance(TestCluster.HEARTBEAT);
      cluster.node(first).tick(); // the first to hear "unknown node" registers again, alone
      await()
          .atMost(Duration.ofSeconds(3))
          .until(
              () ->
                  cluster.node(first).viewVersion() == cluster.seed().registry().view().version());
      assertThat(cluster.node(first).owners(Key.of("k"))).containsExactly(first);

      HttpResponse<byte[]> refused = client.put(cluster.url(first), "k", bytes("v"));
      assertThat(refused.statusCode()).isEqualTo(503);
      JsonNode body = json.readTree(refused.body());
      assertThat(body.get("error").asText()).isEqualTo("quorum_not_met");
      assertThat(body.get("required").asInt()).isEqualTo(2);
      assertThat(body.get("message").asText()).contains("the cluster has had 3 members");
      assertThat(cluster.node(first).storage().get(Key.of("k"))).isEmpty(); // nothing written
      assertThat(client.get(cluster.url(first), "k").statusCode()).isEqualTo(503); // R=2 too
      assertThat(client.put(cluster.url(first), "k", bytes("v"), "&w=quorum").statusCode())
          .isEqualTo(503); // a majority of the cluster's N, not of the one node it sees
      assertThat(client.put(cluster.url(first), "k", bytes("one"), "&w=1").statusCode())
          .isEqualTo(204); // asked for explicitly

      cluster.tick(); // the others register again
      cluster.settle();
      HttpResponse<byte[]> put = client.put(cluster.url(first), "k", bytes("v2"));
      assertThat(put.statusCode()).isEqualTo(204);
      assertThat(put.headers().firstValue("X-Kv-Served-By").orElseThrow().split(","))
          .hasSizeGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aClusterThatNeverHadMoreNodesTakesDefaultWritesWithWhatItHas() {
    try (var cluster = TestCluster.start(1)) {
      HttpResponse<byte[]> put = cluster.client().put(cluster.url(cluster.id(1)), "k", bytes("v"));
      assertThat(put.statusCode()).isEqualTo(204);
      assertThat(cluster.client().get(cluster.url(cluster.id(1)), "k").body())
          .isEqualTo(bytes("v"));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
