package kv.node.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.node.KvNode;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link KvNode#shutdown()}, what SIGTERM runs: leave the seed, drain, finish, close. */
@Timeout(30)
class GracefulShutdownTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void shutdownDeregistersSoTheSeedDropsTheNodeAtOnce() {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId leaving = cluster.id(3);
      long before = cluster.seed().registry().view().version();

      cluster.stopGracefully(leaving); // no tick, no clock advance: NODE_TTL cannot be the cause

      assertThat(members(cluster)).containsExactly(cluster.id(1), cluster.id(2));
      assertThat(cluster.seed().registry().view().version()).isGreaterThan(before);
      cluster.settle();
      assertThat(cluster.node(cluster.id(1)).viewVersion())
          .isEqualTo(cluster.seed().registry().view().version());
      HttpTestClient client = cluster.client();
      assertThat(client.put(cluster.url(cluster.id(1)), "after", bytes("v")).statusCode())
          .isEqualTo(204);
      assertThat(client.get(cluster.url(cluster.id(2)), "after").body()).isEqualTo(bytes("v"));
    }
  }

  @Test
  void duringTheDrainHealthSaysStoppingAndRequestsAreStillServed() throws Exception {
    try (TestCluster cluster =
        TestCluster.start(3, config -> config.withShutdownDrain(Duration.ofSeconds(3)))) {
      NodeId leaving = cluster.id(1);
      String url = cluster.url(leaving);
      KvNode node = cluster.node(leaving);
      HttpTestClient client = cluster.client();
      assertThat(client.send("GET", url, "/health", null).statusCode()).isEqualTo(200);

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(node::shutdown);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> client.send("GET", url, "/health", null).statusCode() == 503);

      HttpResponse<byte[]> health = client.send("GET", url, "/health", null);
      assertThat(json.readTree(health.body()).get("status").asText()).isEqualTo("STOPPING");
      assertThat(health.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
      await().atMost(Duration.ofSeconds(2)).until(() -> !members(cluster).contains(leaving));
      assertThat(stopping).isNotDone(); // still draining: peers that route here still succeed
      assertThat(client.put(url, "drained", bytes("d")).statusCode()).isEqualTo(204);
      assertThat(client.get(url, "drained").body()).isEqualTo(bytes("d"));

      stopping.get();
      assertThatThrownBy(() -> client.send("GET", url, "/health", null))
          .isInstanceOf(UncheckedIOException.class);
    }
  }

  @Test
  void aRequestInFlightWhenTheNodeStopsStillGetsItsAnswer() throws Exception {
    try (TestCluster cluster = TestCluster.start(3)) {
      NodeId stopping = cluster.id(1);
      String url = cluster.url(stopping);
      int port = cluster.node(stopping).port();
      cluster.faults().hold(); // replica calls wait: the PUT below stays in flight
      CompletableFuture<HttpResponse<byte[]>> put =
          CompletableFuture.supplyAsync(() -> cluster.client().put(url, "in-flight", bytes("x")));
      await().atMost(Duration.ofSeconds(5)).until(() -> cluster.faults().heldCalls() >= 2);

      CompletableFuture<Void> stop = CompletableFuture.runAsync(cluster.node(stopping)::close);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> refusesConnections(port)); // stopped accepting, request still in flight
      assertThat(put).isNotDone();
      cluster.faults().release();

      assertThat(put.get().statusCode()).isEqualTo(204);
      stop.get();
      assertThat(cluster.client().get(cluster.url(cluster.id(2)), "in-flight").body())
          .isEqualTo(bytes("x"));
    }
  }

  private static boolean refusesConnections(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return !socket.isConnected();
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<NodeId> members(TestCluster cluster) {
    return cluster.seed().registry().view().members().stream().map(MemberInfo::id).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
