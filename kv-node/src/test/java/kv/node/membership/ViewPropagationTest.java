package kv.node.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Membership changes reach every node as they happen: pushed by the seed's watch, spread by the
 * view version every node-to-node exchange carries, and never installed out of order. None of these
 * tests ticks the heartbeats: what arrives, arrives by itself.
 */
@Timeout(60)
class ViewPropagationTest {
  private static final Duration MOMENT = Duration.ofSeconds(3);
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void aJoiningNodeIsInEveryViewWithinAWatchRoundTripWithoutATick() throws Exception {
    try (TestCluster cluster = TestCluster.start(3)) {
      cluster.startNode(NodeId.of("node-4")); // registers; nobody ticks

      await().atMost(MOMENT).pollInterval(Duration.ofMillis(5)).until(cluster::agreed);
      for (NodeId id : cluster.liveNodes()) {
        assertThat(cluster.node(id).viewVersion())
            .isEqualTo(cluster.seed().registry().view().version());
        if (!id.value().equals("node-4")) {
          assertThat(installedFrom(cluster, id)).isEqualTo("watch");
        }
      }
    }
  }

  @Test
  void aNodeWhoseWatchIsBrokenCatchesUpThroughAPeersHeader() throws Exception {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId behind = cluster.id(1);
      cluster.faults().breakWatch(behind);
      long before = cluster.node(behind).viewVersion();

      joinUnheardBy(cluster, behind);
      await().atMost(MOMENT).until(() -> cluster.node(cluster.id(2)).viewVersion() > before);
      assertThat(cluster.node(behind).viewVersion()).isEqualTo(before); // no watch, no tick

      writeThrough(cluster, cluster.id(2), behind); // node-2's batch to node-1 says it is behind

      await()
          .atMost(MOMENT)
          .until(
              () ->
                  cluster.node(behind).viewVersion() == cluster.seed().registry().view().version());
      assertThat(installedFrom(cluster, behind)).isEqualTo("refresh"); // read from the seed
    }
  }

  @Test
  void withTheSeedStoppedANodeThatMissedAChangeLearnsItFromAPeer() throws Exception {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId behind = cluster.id(1);
      cluster.faults().breakWatch(behind);
      joinUnheardBy(cluster, behind);
      long current = cluster.seed().registry().view().version();
      await().atMost(MOMENT).until(() -> cluster.node(cluster.id(2)).viewVersion() == current);
      cluster.stopSeed();

      writeThrough(cluster, cluster.id(2), behind);

      await().atMost(MOMENT).until(() -> cluster.node(behind).viewVersion() == current);
      assertThat(installedFrom(cluster, behind)).isEqualTo("peer");
      assertThat(cluster.node(behind).owners(Key.of("any")))
          .isEqualTo(cluster.node(cluster.id(2)).owners(Key.of("any")));
    }
  }

  @Test
  void aWritePlacedOnAnOlderListIsRefusedByNewerReplicasAndPlacedAgain() {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId stale = cluster.id(1);
      cluster.faults().breakWatch(stale);
      NodeId joined = joinUnheardBy(cluster, stale);
      long current = cluster.seed().registry().view().version();
      await()
          .atMost(MOMENT)
          .until(
              () ->
                  cluster.node(cluster.id(2)).viewVersion() == current
                      && cluster.node(cluster.id(3)).viewVersion() == current);
      // a key that node-4 now replicates in place of node-1: node-2 and node-3 refuse node-1's
      // placement, so node-1 alone cannot make W=2 until it places the write again
      String key =
          IntStream.range(0, 10_000)
              .mapToObj(i -> "moved-" + i)
              .filter(
                  k -> {
                    List<NodeId> owners = cluster.node(cluster.id(2)).owners(Key.of(k));
                    return owners.contains(joined) && !owners.contains(stale);
                  })
              .findFirst()
              .orElseThrow();

      HttpResponse<byte[]> put = cluster.client().put(cluster.url(stale), key, bytes("v"));

      assertThat(put.statusCode()).isEqualTo(204);
      assertThat(put.headers().firstValue("X-Kv-Owner").orElseThrow()).contains(joined.value());
      assertThat(cluster.node(stale).viewVersion()).isEqualTo(current);
      await()
          .atMost(MOMENT)
          .untilAsserted(
              () -> assertThat(cluster.node(joined).storage().get(Key.of(key))).isPresent());
      assertThat(metric(cluster, stale, "kv_writes_replaced_total{wait=\"client\"}"))
          .isEqualTo(1.0);
    }
  }

  /**
   * Starts node-4 without it telling {@code deaf} about its list: a new node's first pass asks
   * every member whether it is empty, and that exchange alone would bring {@code deaf} up to date.
   */
  private static NodeId joinUnheardBy(TestCluster cluster, NodeId deaf) {
    NodeId joined = NodeId.of("node-4");
    cluster.partition(deaf, joined);
    cluster.startNode(joined);
    cluster.heal();
    return joined;
  }

  /** A PUT through {@code via} of a key that {@code target} replicates: one batch between them. */
  private static void writeThrough(TestCluster cluster, NodeId via, NodeId target) {
    String key =
        IntStream.range(0, 10_000)
            .mapToObj(i -> "k-" + i)
            .filter(k -> cluster.node(via).owners(Key.of(k)).contains(target))
            .findFirst()
            .orElseThrow();
    assertThat(cluster.client().put(cluster.url(via), key, bytes("v"), "&w=all").statusCode())
        .isEqualTo(204);
  }

  private String installedFrom(TestCluster cluster, NodeId id) throws Exception {
    JsonNode view =
        json.readTree(cluster.client().send("GET", cluster.url(id), "/cluster", null).body());
    return view.get("installed").get("source").asText();
  }

  private static double metric(TestCluster cluster, NodeId id, String series) {
    String text =
        new String(
            cluster.client().send("GET", cluster.url(id), "/metrics", null).body(),
            StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
