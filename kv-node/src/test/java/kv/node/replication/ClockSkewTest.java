package kv.node.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Skewed clocks, in one JVM ({@link TestCluster#skew}). Five nodes, N=3, W=2, R=2, as in the
 * measurement that lost 201 of 500 writes: one client writes one key again and again, each write
 * through the next node in turn, and reads it back through another. Within MAX_CLOCK_OFFSET (500
 * ms) a write is versioned again above a newer version a replica holds, so none is lost; beyond it,
 * the skewed node refuses to coordinate writes (the client writes through the next node), so none
 * is lost either.
 */
@Timeout(180)
class ClockSkewTest {
  private static final int WRITES = 500;
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void withClocksALittleOffNoSequentialWriteIsLost() {
    try (TestCluster cluster = TestCluster.start(5)) {
      cluster.skew(cluster.id(1), Duration.ofMillis(400));
      cluster.skew(cluster.id(2), Duration.ofMillis(-400));
      for (Predicate<List<NodeId>> placement : placements(cluster)) {
        String key = key(cluster, placement);
        assertThat(writeAndReadBack(cluster, key)).as("writes lost, key %s", key).isZero();
      }
      double again =
          cluster.liveNodes().stream()
              .mapToDouble(id -> cluster.metric(id, "kv_writes_versioned_again_total"))
              .sum();
      assertThat(again).as("writes versioned again").isPositive(); // the fix was needed
    }
  }

  @Test
  void withClocksThirtySecondsOffNoSequentialWriteIsLost() {
    try (TestCluster cluster = TestCluster.start(5)) {
      cluster.skew(cluster.id(1), Duration.ofSeconds(30));
      cluster.skew(cluster.id(2), Duration.ofSeconds(-30));
      for (Predicate<List<NodeId>> placement : placements(cluster)) {
        String key = key(cluster, placement);
        assertThat(writeAndReadBack(cluster, key)).as("writes lost, key %s", key).isZero();
      }
    }
  }

  @Test
  void aNodeBeyondTheBoundRefusesToCoordinateWritesAndComesBackWithItsClock() throws IOException {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId fast = cluster.id(1);
      cluster.skew(fast, Duration.ofSeconds(30));
      cluster.tick(); // a heartbeat: the seed's clock stamp is 30 s behind this node's
      cluster.client().put(cluster.url(cluster.id(2)), "warm", bytes("w"), "&w=all");

      await().atMost(Duration.ofSeconds(5)).until(() -> health(cluster, fast) == 503);
      HttpResponse<byte[]> refused = cluster.client().put(cluster.url(fast), "k", bytes("v"));
      assertThat(refused.statusCode()).isEqualTo(503);
      JsonNode error = json.readTree(refused.body());
      assertThat(error.get("error").asText()).isEqualTo("clock_skew");
      assertThat(error.get("message").asText()).contains("ahead of", "MAX_CLOCK_OFFSET");
      assertThat(clock(cluster, fast).get("skewed").asBoolean()).isTrue();
      assertThat(clock(cluster, fast).get("offsetMillis").asLong()).isLessThan(-29_000);
      assertThat(cluster.client().get(cluster.url(fast), "warm").statusCode()).isEqualTo(200);
      for (NodeId id : cluster.liveNodes()) { // nothing was written anywhere
        assertThat(cluster.node(id).storage().get(Key.of("k"))).isEmpty();
      }
      assertThat(clock(cluster, cluster.id(2)).get("skewed").asBoolean()).isFalse();

      cluster.skew(fast, Duration.ZERO); // its clock is set right
      cluster.tick();
      await().atMost(Duration.ofSeconds(5)).until(() -> health(cluster, fast) == 200);
      assertThat(cluster.client().put(cluster.url(fast), "k", bytes("v")).statusCode())
          .isEqualTo(204);
    }
  }

  /**
   * Writes {@link #WRITES} values to {@code key}, each through the next node in turn (and through
   * the one after it when a node refuses with 503), reading each back through yet another node;
   * returns how many reads did not see the value just acknowledged.
   */
  private static int writeAndReadBack(TestCluster cluster, String key) {
    List<NodeId> nodes = cluster.liveNodes();
    int lost = 0;
    int via = 0;
    for (int i = 0; i < WRITES; i++) {
      byte[] value = bytes("value-" + i);
      int status = 0;
      for (int tries = 0; tries < nodes.size() && status != 204; tries++) {
        status =
            cluster
                .client()
                .put(cluster.url(nodes.get(via++ % nodes.size())), key, value)
                .statusCode();
      }
      assertThat(status).as("write %d through any node", i).isEqualTo(204);
      HttpResponse<byte[]> read =
          cluster.client().get(cluster.url(nodes.get(via % nodes.size())), key);
      if (read.statusCode() != 200
          || !new String(read.body(), StandardCharsets.UTF_8).equals("value-" + i)) {
        lost++;
      }
    }
    return lost;
  }

  /** Keys whose replicas include node-1 (ahead) but not node-2 (behind), and the other way. */
  private static List<Predicate<List<NodeId>>> placements(TestCluster cluster) {
    NodeId ahead = cluster.id(1);
    NodeId behind = cluster.id(2);
    return List.of(
        owners -> owners.contains(ahead) && !owners.contains(behind),
        owners -> owners.contains(behind) && !owners.contains(ahead));
  }

  private static String key(TestCluster cluster, Predicate<List<NodeId>> placement) {
    for (int i = 0; ; i++) {
      if (placement.test(cluster.node(cluster.id(3)).owners(Key.of("key-" + i)))) {
        return "key-" + i;
      }
    }
  }

  private static int health(TestCluster cluster, NodeId id) {
    return cluster.client().send("GET", cluster.url(id), "/health", null).statusCode();
  }

  private JsonNode clock(TestCluster cluster, NodeId id) throws IOException {
    return json.readTree(cluster.client().send("GET", cluster.url(id), "/cluster", null).body())
        .get("clock");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
