package kv.node.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node whose clock jumps ahead while it runs ({@link TestCluster#skew}) versions its writes
 * ahead until it has measured that, and correct replicas refuse those records (MAX_CLOCK_OFFSET,
 * 500 ms): the coordinator counts each refusal as a replica failure, turns none into a hint,
 * neither its own nor a stand-in's, and keeps nothing on its own disk either. Once it has
 * measured its clock (every answer carries the other side's), it coordinates no write at all.
 * Four nodes, so a fifth-in-line spare can stand in for a partitioned replica.
 */
@Timeout(120) // a cold JVM's first cluster start took 10-25 s on a busy machine
class SkewedNodeTest {
  private static final Duration AHEAD = Duration.ofSeconds(30);

  @Test
  void aNodeThatJumpedAheadWritesNothingAnywhereAndNobodyHints() {
    try (TestCluster cluster = TestCluster.start(4)) {
      NodeId fast = cluster.id(1);
      cluster.skew(fast, AHEAD); // its samples of the others' clocks predate the jump
      String key = keyReplicatedBy(cluster, fast);
      List<NodeId> owners = cluster.node(fast).owners(Key.of(key));
      List<NodeId> others = owners.stream().filter(id -> !id.equals(fast)).toList();
      NodeId spare = cluster.liveNodes().stream().filter(id -> !owners.contains(id))
          .findFirst().orElseThrow();
      cluster.partition(fast, others.get(0)); // that replica's write goes to the spare as a hint

      HttpResponse<byte[]> one = cluster.client().put(cluster.url(fast), key, bytes("v1"), "&w=1");

      assertThat(one.statusCode()).isEqualTo(503); // answered once every call has settled
      assertThat(new String(one.body(), StandardCharsets.UTF_8))
          .contains("quorum_not_met", "MAX_CLOCK_OFFSET");
      for (NodeId id : cluster.liveNodes()) { // its own replica kept nothing either
        assertThat(cluster.node(id).storage().get(Key.of(key))).as("%s", id).isEmpty();
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(refused(cluster, others.get(1), "write")).isEqualTo(1);
        assertThat(refused(cluster, spare, "hint")).isEqualTo(1);
      });
      for (NodeId id : cluster.liveNodes()) {
        assertThat(cluster.node(id).hints().pending()).as("hints on %s", id).isZero();
      }

      cluster.tick(); // its samples from before the jump age out; a heartbeat measures the seed
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
          cluster.client().send("GET", cluster.url(fast), "/health", null).statusCode() == 503);
      HttpResponse<byte[]> refusedAtOnce =
          cluster.client().put(cluster.url(fast), key, bytes("v2"), "&w=1");
      assertThat(refusedAtOnce.statusCode()).isEqualTo(503);
      assertThat(new String(refusedAtOnce.body(), StandardCharsets.UTF_8)).contains("clock_skew");
    }
  }

  @Test
  void aNodeStartedBehindKnowsItFromItsRegistrationAndCoordinatesNoWrite() {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId slow = cluster.id(3);
      cluster.crash(slow);
      cluster.skew(slow, AHEAD.negated());
      cluster.restart(slow);
      assertThat(cluster.clock(slow).millis())
          .isEqualTo(cluster.clock().millis() - AHEAD.toMillis());

      HttpResponse<byte[]> put = cluster.client().put(cluster.url(slow), "k", bytes("v"), "&w=all");
      assertThat(put.statusCode()).isEqualTo(503);
      assertThat(new String(put.body(), StandardCharsets.UTF_8)).contains("clock_skew", "behind");
      // as a replica it refuses records from the present: from its clock, they are in the future
      assertThat(cluster.client().put(cluster.url(cluster.id(1)), "k", bytes("v"))
          .statusCode()).isEqualTo(204); // the other two make W=2
      assertThat(cluster.node(slow).storage().get(Key.of("k"))).isEmpty();
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> refused(cluster, slow, "write") == 1);
    }
  }

  private static String keyReplicatedBy(TestCluster cluster, NodeId id) {
    for (int i = 0; ; i++) {
      if (cluster.node(id).owners(Key.of("key-" + i)).contains(id)) {
        return "key-" + i;
      }
    }
  }

  private static double refused(TestCluster cluster, NodeId id, String via) {
    return cluster.metric(id,
        "kv_records_refused_total{reason=\"clock_skew\",via=\"" + via + "\"}");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
