package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import kv.node.harness.HttpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real jars as separate processes, driven over HTTP exactly as the README's curl session. */
@Timeout(120)
class ProcessClusterIT {
  private final HttpTestClient client = new HttpTestClient();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void readmeWalkthroughAcrossThreeProcesses() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      cluster.awaitAllSee(3);
      String key = "user:42/profile #1 & more+😀";
      byte[] value = "{\"name\":\"Ada\"}".getBytes(StandardCharsets.UTF_8);

      assertThat(client.put(cluster.nodeUrl(0), key, value).statusCode()).isEqualTo(204);
      HttpResponse<byte[]> got = client.get(cluster.nodeUrl(1), key);
      assertThat(got.statusCode()).isEqualTo(200);
      assertThat(got.body()).isEqualTo(value);
      assertThat(client.delete(cluster.nodeUrl(2), key).statusCode()).isEqualTo(204);
      HttpResponse<byte[]> gone = client.get(cluster.nodeUrl(1), key);
      assertThat(gone.statusCode()).isEqualTo(404);
      assertThat(json.readTree(gone.body()).get("error").asText()).isEqualTo("not_found");
    }
  }

  @Test
  void killedNodeLeavesTheListAndComesBackWithItsId() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      cluster.awaitAllSee(3);
      String id = cluster.selfId(2);

      cluster.kill(2);
      // NODE_TTL is 15 s by default; the seed must drop the silent node by itself
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> !cluster.members().toString().contains(id));

      cluster.startNode(2);
      cluster.awaitAllSee(3);
      assertThat(cluster.selfId(2)).isEqualTo(id); // kept in DATA_DIR/node-id
      assertThat(cluster.members().toString()).contains(id);
    }
  }

  @Test
  void killingAnyOneNodeLosesNoAcknowledgedWrite() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      cluster.awaitAllSee(3);
      for (int i = 0; i < 1000; i++) {
        HttpResponse<byte[]> put = client.put(cluster.nodeUrl(i % 3), "key-" + i, value(i));
        assertThat(put.statusCode()).as("PUT key-%d", i).isEqualTo(204); // acknowledged at W=2
      }

      cluster.kill(1); // SIGKILL, while it is still in everyone's member list

      for (int i = 0; i < 1000; i++) {
        HttpResponse<byte[]> got = client.get(cluster.nodeUrl(i % 2 == 0 ? 0 : 2), "key-" + i);
        assertThat(got.statusCode()).as("GET key-%d", i).isEqualTo(200); // R=2 of the 2 left
        assertThat(got.body()).as("key-%d", i).isEqualTo(value(i));
      }
    }
  }

  private static byte[] value(int i) {
    return ("value-" + i).getBytes(StandardCharsets.UTF_8);
  }
}
