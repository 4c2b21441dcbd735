package kv.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The cluster end to end, in one JVM: real HTTP between real nodes and a real seed. */
class ClusterTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void walkthroughPutThroughOneGetThroughAnotherDeleteThroughAThird() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      String n1 = cluster.url(cluster.id(1));
      String n2 = cluster.url(cluster.id(2));
      String n3 = cluster.url(cluster.id(3));

      assertThat(client.put(n1, "greeting", bytes("hello world")).statusCode()).isEqualTo(204);
      HttpResponse<byte[]> got = client.get(n2, "greeting");
      assertThat(got.statusCode()).isEqualTo(200);
      assertThat(got.body()).isEqualTo(bytes("hello world"));
      assertThat(got.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
      assertThat(client.delete(n3, "greeting").statusCode()).isEqualTo(204);
      HttpResponse<byte[]> gone = client.get(n2, "greeting");
      assertThat(gone.statusCode()).isEqualTo(404);
      assertThat(new String(gone.body(), StandardCharsets.UTF_8))
          .contains("\"error\":\"not_found\"");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a&b",
        "x#y",
        "1+1=2",
        "100%",
        "a/b/c",
        "with spaces",
        "emoji 😀🚀",
        "?key=evil&x",
        "ünïcödé",
        "%41",
        "+",
        "tab\tand\nnewline"
      })
  void anyKeyReachesTheSameStoredKeyThroughEveryNode(String key) {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      byte[] value = bytes("value of " + key);
      assertThat(client.put(cluster.url(cluster.id(1)), key, value, "&w=all").statusCode())
          .isEqualTo(204);

      for (NodeId node : cluster.liveNodes()) {
        HttpResponse<byte[]> got = client.get(cluster.url(node), key);
        assertThat(got.statusCode()).as("GET via %s", node).isEqualTo(200);
        assertThat(got.body()).isEqualTo(value);
      }
      String owners =
          client
              .get(cluster.url(cluster.id(2)), key)
              .headers()
              .firstValue("X-Kv-Owner")
              .orElseThrow();
      assertThat(owners.split(",")).hasSize(3);
      for (String owner : owners.split(",")) {
        assertThat(cluster.node(NodeId.of(owner)).storage().get(Key.of(key))).isPresent();
      }
    }
  }

  @Test
  void valuesAreBinarySafeAndMayBeEmpty() {
    try (var cluster = TestCluster.start(3)) {
      byte[] binary = new byte[70_000];
      new Random(7).nextBytes(binary);
      binary[0] = 0;
      var client = cluster.client();
      for (NodeId entry : cluster.liveNodes()) {
        String key = "binary-via-" + entry;
        assertThat(client.put(cluster.url(entry), key, binary).statusCode()).isEqualTo(204);
        assertThat(client.get(cluster.url(cluster.id(3)), key).body()).isEqualTo(binary);
      }
      assertThat(client.put(cluster.url(cluster.id(1)), "empty", new byte[0]).statusCode())
          .isEqualTo(204);
      HttpResponse<byte[]> empty = client.get(cluster.url(cluster.id(2)), "empty");
      assertThat(empty.statusCode()).isEqualTo(200);
      assertThat(empty.body()).isEmpty();
    }
  }

  @Test
  void deletingAnAbsentKeyIsNotAnError() {
    try (var cluster = TestCluster.start(2)) {
      assertThat(cluster.client().delete(cluster.url(cluster.id(1)), "never-written").statusCode())
          .isEqualTo(204);
    }
  }

  @Test
  void responsesNameTheOwnersTheCoordinatorAndTheVersion() throws IOException {
    try (var cluster = TestCluster.start(4)) {
      var client = cluster.client();
      JsonNode location =
          json.readTree(
              client.send("GET", cluster.url(cluster.id(1)), "/locate?key=k", null).body());
      List<String> owners = new java.util.ArrayList<>();
      location.get("preferenceList").forEach(n -> owners.add(n.get("id").asText()));
      NodeId notOwner =
          cluster.liveNodes().stream()
              .filter(n -> !owners.contains(n.value()))
              .findFirst()
              .orElseThrow();

      HttpResponse<byte[]> put = client.put(cluster.url(notOwner), "k", bytes("v"), "&w=all");

      assertThat(owners).hasSize(3);
      assertThat(put.headers().firstValue("X-Kv-Owner")).hasValue(String.join(",", owners));
      assertThat(put.headers().firstValue("X-Kv-Coordinator")).hasValue(notOwner.value());
      assertThat(put.headers().firstValue("X-Kv-Served-By").orElseThrow().split(","))
          .containsExactlyInAnyOrderElementsOf(owners);
      String version = put.headers().firstValue("X-Kv-Version").orElseThrow();
      assertThat(version).endsWith("@" + notOwner.value()); // the coordinator's id breaks ties
      assertThat(client.get(cluster.url(cluster.id(1)), "k").headers().firstValue("X-Kv-Version"))
          .hasValue(version);
      assertThat(cluster.node(notOwner).storage().size()).isZero(); // coordinated, not stored here
      owners.forEach(
          o -> assertThat(cluster.node(NodeId.of(o)).storage().get(Key.of("k"))).isPresent());
    }
  }

  @Test
  void everyNodeSeesTheSameRing() throws IOException {
    try (var cluster = TestCluster.start(4)) {
      JsonNode first =
          json.readTree(
              cluster.client().send("GET", cluster.url(cluster.id(1)), "/cluster", null).body());
      assertThat(first.get("members")).hasSize(4);
      for (int i = 1; i <= 200; i++) {
        String key = "k" + i;
        List<String> owners =
            cluster.liveNodes().stream()
                .map(node -> locate(cluster, node, key))
                .distinct()
                .toList();
        assertThat(owners).as("owner of %s as each node sees it", key).hasSize(1);
      }
    }
  }

  @Test
  void nodeCutOffFromBothPeersCannotMeetQuorumUntilHealed() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      NodeId a = cluster.id(1);
      client.put(cluster.url(a), "k", bytes("v"), "&w=all");

      cluster.partition(a, cluster.id(2));
      cluster.partition(a, cluster.id(3));
      assertThat(client.get(cluster.url(a), "k").statusCode()).isEqualTo(503); // 1 of R=2
      assertThat(client.get(cluster.url(a), "k", "&r=1").statusCode()).isEqualTo(200); // itself
      assertThat(client.get(cluster.url(cluster.id(2)), "k").statusCode()).isEqualTo(200);

      cluster.heal();
      assertThat(client.get(cluster.url(a), "k").body()).isEqualTo(bytes("v"));
    }
  }

  @Test
  void crashedNodeExpiresAndItsRangeMovesToSurvivors() {
    try (var cluster = TestCluster.start(3)) {
      NodeId victim = cluster.id(3);
      String key = keyOwnedBy(cluster, victim);
      cluster.crash(victim);

      cluster.tick(); // 5 s: still a member
      cluster.tick(); // 10 s
      cluster.tick(); // 15 s
      assertThat(cluster.seed().registry().view().members()).hasSize(3);
      cluster.tick(); // 20 s: expired, survivors rebuild their ring
      assertThat(cluster.seed().registry().view().members()).hasSize(2);

      var client = cluster.client();
      assertThat(client.put(cluster.url(cluster.id(1)), key, bytes("moved")).statusCode())
          .isEqualTo(204);
      assertThat(client.get(cluster.url(cluster.id(2)), key).body()).isEqualTo(bytes("moved"));
    }
  }

  @Test
  void restartedNodeRejoinsWithItsIdAtItsRingPositions() {
    try (var cluster = TestCluster.start(3)) {
      NodeId node = cluster.id(2);
      String key = keyOwnedBy(cluster, node);
      cluster.crash(node);
      cluster.restart(node);

      assertThat(locate(cluster, cluster.id(1), key)).isEqualTo(node.value());
      assertThat(
              cluster
                  .client()
                  .put(cluster.url(cluster.id(1)), key, bytes("back"), "&w=all")
                  .statusCode())
          .isEqualTo(204);
      assertThat(cluster.node(node).storage().get(Key.of(key))).isPresent();
    }
  }

  @Test
  void nodesKeepServingWhileTheSeedIsDownAndReRegisterWhenItReturns() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      cluster.stopSeed();
      cluster.tick(); // heartbeats fail; the last list stays
      cluster.tick();
      for (int i = 0; i < 20; i++) {
        assertThat(
                client
                    .put(cluster.url(cluster.id(1 + i % 3)), "k" + i, bytes("v" + i))
                    .statusCode())
            .isEqualTo(204);
        assertThat(client.get(cluster.url(cluster.id(1 + (i + 1) % 3)), "k" + i).body())
            .isEqualTo(bytes("v" + i));
      }

      cluster.restartSeed(); // forgets everyone
      cluster.settle(); // heartbeats are refused, nodes register again under the same ids

      assertThat(cluster.seed().registry().view().members())
          .extracting(m -> m.id().value())
          .containsExactlyInAnyOrder("node-1", "node-2", "node-3");
      assertThat(client.get(cluster.url(cluster.id(2)), "k7").body()).isEqualTo(bytes("v7"));
    }
  }

  private String locate(TestCluster cluster, NodeId via, String key) {
    try {
      HttpResponse<byte[]> answer =
          cluster
              .client()
              .send(
                  "GET",
                  cluster.url(via),
                  "/locate?key=" + kv.node.harness.HttpTestClient.encode(key),
                  null);
      return json.readTree(answer.body()).get("preferenceList").get(0).get("id").asText();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String keyOwnedBy(TestCluster cluster, NodeId owner) {
    for (int i = 0; ; i++) {
      if (locate(cluster, owner, "probe-" + i).equals(owner.value())) {
        return "probe-" + i;
      }
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
