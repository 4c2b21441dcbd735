package kv.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.handoff.HintDelivery;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.SyncRecord;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Merkle anti-entropy on an in-process cluster (N=3, W=2, R=2), with no other repair at work. */
@Timeout(120)
class AntiEntropyTest {
  /** One anti-entropy period per tick of the harness (a tick advances the clock 5 s). */
  private static final SyncConfig EVERY_TICK =
      new SyncConfig(TestCluster.HEARTBEAT, 10_000_000, Duration.ofSeconds(15), 0.25);

  /** Hints expire before their first delivery, so only anti-entropy can repair. */
  private static final HintDelivery.Policy HINTS_EXPIRE_AT_ONCE =
      new HintDelivery.Policy(Duration.ofMillis(1), 1);

  @Test
  void aWipedReplicaIsRefilledByAntiEntropyAlone() {
    try (var cluster = start()) {
      for (int i = 0; i < 500; i++) {
        put(cluster, cluster.id(1 + i % 3), "key-" + i, "value-" + i);
      }
      for (int i = 0; i < 500; i += 5) {
        // w=all: no third replica's write may still be on its way when node 2 is wiped below
        assertThat(
                cluster
                    .client()
                    .delete(cluster.url(cluster.id(1)), "key-" + i, "&w=all")
                    .statusCode())
            .isEqualTo(204);
      }
      NodeId wiped = cluster.id(2);
      StorageEngine storage = cluster.node(wiped).storage();
      wipe(storage);
      assertThat(storage.size()).isZero();
      List<Long> before = roots(cluster);
      assertThat(before.get(1)).isNotEqualTo(before.get(0)); // liveNodes() keeps start order

      cluster.tick(); // one period passes: a round runs

      assertThat(storage.size()).isEqualTo(500); // 400 values and the 100 tombstones
      assertThat(roots(cluster)).hasSize(3).containsOnly(roots(cluster).get(0));
      assertThat(storage.get(Key.of("key-0")).orElseThrow().isTombstone()).isTrue();
      assertThat(storage.get(Key.of("key-1")).orElseThrow().value().toBytes())
          .isEqualTo(bytes("value-1"));
      assertThat(scrape(cluster, wiped, "kv_antientropy_ranges_compared_total")).isPositive();
    }
  }

  @Test
  void aDeleteMadeDuringAPartitionDoesNotComeBackAfterTheHeal() {
    try (var cluster = start()) {
      NodeId a = cluster.id(1);
      NodeId b = cluster.id(2);
      NodeId c = cluster.id(3);
      put(cluster, a, "doomed", "alive");
      cluster.partition(b, a);
      cluster.partition(b, c);

      assertThat(cluster.client().delete(cluster.url(a), "doomed").statusCode()).isEqualTo(204);
      Versioned stale = cluster.node(b).storage().get(Key.of("doomed")).orElseThrow();
      assertThat(stale.isTombstone()).isFalse(); // b missed the delete

      cluster.heal();
      cluster.tick(); // a round: b's stale value meets the tombstone

      assertThat(cluster.node(b).storage().get(Key.of("doomed")).orElseThrow().isTombstone())
          .isTrue();
      for (NodeId via : List.of(a, b, c)) {
        assertThat(cluster.client().get(cluster.url(via), "doomed", "&r=all").statusCode())
            .isEqualTo(404);
      }
    }
  }

  @Test
  void replicasInAgreementExchangeNothing() {
    try (var cluster = start()) {
      for (int i = 0; i < 200; i++) {
        put(cluster, cluster.id(1), "key-" + i, "value-" + i);
      }
      cluster.tick();
      double repairedBefore = repaired(cluster);
      cluster.tick();
      cluster.tick();
      assertThat(repaired(cluster)).isEqualTo(repairedBefore);
      assertThat(scrape(cluster, cluster.id(1), "kv_antientropy_ranges_compared_total"))
          .isGreaterThan(0);
    }
  }

  @Test
  void badRangeRequestsFromAPeerAre400AndChangeNothing() throws Exception {
    try (var cluster = start()) {
      put(cluster, cluster.id(1), "kept", "value");
      String node = cluster.url(cluster.id(2));
      List<Long> before = roots(cluster);
      for (String path :
          List.of(
              "/internal/merkle?start=1&end=x",
              "/internal/merkle?end=5",
              "/internal/merkle?start=1&end=2&depth=17",
              "/internal/merkle?start=1&end=2&depth=-1",
              "/internal/range?start=&end=2",
              "/internal/range?start=99999999999999999999&end=1")) {
        assertThat(internal(cluster, node, "GET", path, null).statusCode()).as(path).isEqualTo(400);
      }
      byte[] valid =
          RecordCodec.encode(
              List.of(
                  new SyncRecord(
                      Key.of("kept"),
                      Versioned.tombstone(new Version(Long.MAX_VALUE >> 1, cluster.id(1))))));
      for (byte[] junk :
          List.of(
              bytes("junk"),
              Arrays.copyOf(valid, valid.length - 1),
              new byte[] {0, 0, 0, 1, 'k', 0})) {
        HttpResponse<byte[]> answer = internal(cluster, node, "POST", "/internal/records", junk);
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(new String(answer.body(), StandardCharsets.UTF_8))
            .contains("\"error\":\"bad_request\"");
      }
      assertThat(roots(cluster)).isEqualTo(before);
      assertThat(cluster.client().get(node, "kept").statusCode()).isEqualTo(200);
    }
  }

  private static HttpResponse<byte[]> internal(
      TestCluster cluster, String node, String method, String path, byte[] body) {
    return cluster
        .client()
        .send(
            HttpTestClient.request(node, path)
                .header(ClusterToken.HEADER, "test-cluster-token")
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
  }

  private static TestCluster start() {
    return TestCluster.start(
        3,
        new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2)),
        (id, config) -> config.withSync(EVERY_TICK).withHints(HINTS_EXPIRE_AT_ONCE));
  }

  private static void put(TestCluster cluster, NodeId via, String key, String value) {
    HttpResponse<byte[]> put = cluster.client().put(cluster.url(via), key, bytes(value), "&w=all");
    assertThat(put.statusCode()).as("PUT %s", key).isEqualTo(204);
  }

  private static void wipe(StorageEngine storage) {
    List<Key> keys = new ArrayList<>();
    List<Versioned> records = new ArrayList<>();
    storage.scan(
        TokenRange.fullRing(),
        (key, record) -> {
          keys.add(key);
          records.add(record);
        });
    for (int i = 0; i < keys.size(); i++) {
      storage.remove(keys.get(i), records.get(i).version());
    }
  }

  /** Each live node's root over the whole ring: with 3 nodes and N=3 each holds every key. */
  static List<Long> roots(TestCluster cluster) {
    return cluster.liveNodes().stream()
        .map(id -> MerkleTree.build(cluster.node(id).storage(), TokenRange.fullRing(), 8).root())
        .toList();
  }

  private static double repaired(TestCluster cluster) {
    return cluster.liveNodes().stream()
        .mapToDouble(id -> scrape(cluster, id, "kv_antientropy_keys_repaired_total"))
        .sum();
  }

  static double scrape(TestCluster cluster, NodeId node, String metric) {
    String text =
        new String(
            cluster.client().send("GET", cluster.url(node), "/metrics", null).body(),
            StandardCharsets.UTF_8);
    return text.lines()
        .filter(l -> l.startsWith(metric + " ") || l.startsWith(metric + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
