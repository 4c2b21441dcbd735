package kv.node.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import kv.common.http.HttpLimits;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Past MAX_IN_FLIGHT a node refuses at once with 503 overloaded, and recovers by itself. */
@Timeout(30)
class OverloadTest {
  private static final int LIMIT = 4;
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void requestsPastTheLimitAreRefusedFastAndTheNodeRecovers() throws Exception {
    try (TestCluster cluster =
        TestCluster.start(
            3, config -> config.withLimits(HttpLimits.defaults().withMaxInFlight(LIMIT)))) {
      String node = cluster.url(cluster.id(1));
      HttpTestClient client = cluster.client();
      cluster.faults().hold(); // replica calls wait: every PUT stays in flight on node-1
      List<CompletableFuture<HttpResponse<byte[]>>> held = new ArrayList<>();
      for (int i = 0; i < LIMIT; i++) {
        String key = "held-" + i;
        held.add(CompletableFuture.supplyAsync(() -> client.put(node, key, bytes(key))));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> cluster.faults().heldCalls() >= 2 * LIMIT);

      for (int i = 0; i < 10; i++) {
        long start = System.nanoTime();
        HttpResponse<byte[]> refused = client.put(node, "excess-" + i, bytes("x"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(refused.statusCode()).isEqualTo(503);
        JsonNode body = json.readTree(refused.body());
        assertThat(body.get("error").asText()).isEqualTo("overloaded");
        assertThat(body.get("message").asText()).contains("MAX_IN_FLIGHT");
        assertThat(took)
            .as("refusal time")
            .isLessThan(Duration.ofSeconds(1)); // PEER_TIMEOUT is 2 s
      }
      assertThat(client.get(node, "held-0").statusCode()).isEqualTo(503); // reads count too
      assertThat(client.send("GET", node, "/health", null).statusCode()).isEqualTo(200);
      assertThat(held).noneMatch(CompletableFuture::isDone);

      cluster.faults().release();

      for (CompletableFuture<HttpResponse<byte[]>> put : held) {
        assertThat(put.get().statusCode()).isEqualTo(204);
      }
      for (int i = 0; i < 2 * LIMIT; i++) { // more than the limit, one after another: all served
        assertThat(client.put(node, "after-" + i, bytes("a")).statusCode()).isEqualTo(204);
      }
      assertThat(client.get(node, "held-0").body()).isEqualTo(bytes("held-0"));
      assertThat(client.get(cluster.url(cluster.id(2)), "excess-0").statusCode()).isEqualTo(404);
      String metrics =
          new String(client.send("GET", node, "/metrics", null).body(), StandardCharsets.UTF_8);
      assertThat(metrics).containsPattern("kv_requests_overloaded_total(\\{[^}]*\\})? 11\\.0");
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
