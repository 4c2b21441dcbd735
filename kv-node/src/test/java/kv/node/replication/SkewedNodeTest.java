package kv.node.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node whose clock is off ({@link TestCluster#skew}) coordinates no write: one whose clock jumps
 * while it runs knows at once (its wall clock left its monotonic clock), one started with a bad
 * clock knows from its registration, and both say why. Correct replicas refuse records from the
 * future too ({@code FutureRecordsTest}); a node behind refuses records from the present.
 */
@Timeout(120) // a cold JVM's first cluster start took 10-25 s on a busy machine
class SkewedNodeTest {
  private static final Duration AHEAD = Duration.ofSeconds(30);

  @Test
  void aNodeWhoseClockJumpsAheadWritesNothingAnywhere() {
    try (TestCluster cluster = TestCluster.start(4)) {
      NodeId fast = cluster.id(1);
      cluster.skew(fast, AHEAD); // its samples of the others' clocks predate the jump
      String key = keyReplicatedBy(cluster, fast);

      HttpResponse<byte[]> one = cluster.client().put(cluster.url(fast), key, bytes("v1"), "&w=1");

      assertThat(one.statusCode()).isEqualTo(503); // its wall clock left its monotonic one
      assertThat(new String(one.body(), StandardCharsets.UTF_8))
          .contains("clock_skew", "jumped", "MAX_CLOCK_OFFSET");
      for (NodeId id : cluster.liveNodes()) { // its own replica kept nothing either
        assertThat(cluster.node(id).storage().get(Key.of(key))).as("%s", id).isEmpty();
        assertThat(cluster.node(id).hints().pending()).as("hints on %s", id).isZero();
      }

      cluster.tick(); // a heartbeat measures the seed: 30 s off, for the samples too
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  cluster.client().send("GET", cluster.url(fast), "/health", null).statusCode()
                      == 503);
      HttpResponse<byte[]> refusedAtOnce =
          cluster.client().put(cluster.url(fast), key, bytes("v2"), "&w=1");
      assertThat(refusedAtOnce.statusCode()).isEqualTo(503);
      assertThat(new String(refusedAtOnce.body(), StandardCharsets.UTF_8))
          .contains("clock_skew", "ahead of the cluster");
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
      assertThat(cluster.client().put(cluster.url(cluster.id(1)), "k", bytes("v")).statusCode())
          .isEqualTo(204); // the other two make W=2
      assertThat(cluster.node(slow).storage().get(Key.of("k"))).isEmpty();
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
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
    return cluster.metric(
        id, "kv_records_refused_total{reason=\"clock_skew\",via=\"" + via + "\"}");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
