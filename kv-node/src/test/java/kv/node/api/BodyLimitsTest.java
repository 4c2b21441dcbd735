package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.http.HttpLimits;
import kv.common.http.SlowBodies;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request bodies are read without holding a thread, within BODY_TIMEOUT and a budget of
 * MAX_BYTES_IN_FLIGHT (issue 14 item 4): 200 bodies sent at 1 byte/s used to take every one of
 * Jetty's threads, and the node answered nothing, not even {@code /health}.
 */
@Timeout(60)
class BodyLimitsTest {
  private static final Duration BODY = Duration.ofSeconds(1);
  private static final long BYTES = 2 << 20;

  /** More slow senders than the 200 threads Jetty has. */
  private static final int SLOW = 250;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestCluster cluster;
  private static String node;
  private static int port;

  @BeforeAll
  static void start() {
    cluster =
        TestCluster.start(
            3,
            config ->
                config.withLimits(
                    HttpLimits.defaults().withBodyTimeout(BODY).withMaxBytesInFlight(BYTES)));
    node = cluster.url(cluster.id(1));
    port = cluster.node(cluster.id(1)).port();
    assertThat(cluster.client().put(node, "sentinel", bytes("here")).statusCode()).isEqualTo(204);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void slowBodiesAreCutWith408WithinTheBoundWhileOtherRequestsAreAnswered() throws IOException {
    long start = System.nanoTime();
    try (SlowBodies slow =
        SlowBodies.open(
            port,
            SLOW,
            "PUT /put?key=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100",
            Duration.ofMillis(200))) {
      for (int i = 0; i < 10; i++) {
        assertAnsweredQuickly("GET", "/get?key=sentinel", 200);
        assertAnsweredQuickly("GET", "/health", 200);
      }
      List<String> answers = slow.answers(BODY.plusSeconds(5));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(answers)
          .hasSize(SLOW)
          .allSatisfy(
              answer ->
                  assertThat(answer)
                      .startsWith("HTTP/1.1 408 ")
                      .contains("\"error\":\"request_timeout\"")
                      .contains("BODY_TIMEOUT"));
      assertThat(took).as("all cut off after").isLessThan(BODY.multipliedBy(2).plusSeconds(3));
    }
    assertThat(cluster.client().get(node, "slow").statusCode()).isEqualTo(404);
    assertThat(metric("kv_requests_body_timeouts_total")).isGreaterThanOrEqualTo(SLOW);
  }

  @Test
  void slowReplicaBatchesAreCutToo() throws IOException {
    try (SlowBodies slow =
        SlowBodies.open(
            port,
            SLOW,
            "POST /internal/batch HTTP/1.1\r\nHost: x\r\n"
                + ClusterToken.HEADER
                + ": "
                + TestCluster.TOKEN.headerValue().orElseThrow()
                + "\r\nContent-Length: 100",
            Duration.ofMillis(200))) {
      assertAnsweredQuickly("GET", "/get?key=sentinel", 200);
      assertThat(cluster.client().put(node, "meanwhile", bytes("w")).statusCode()).isEqualTo(204);
      assertThat(slow.answers(BODY.plusSeconds(5)))
          .allSatisfy(answer -> assertThat(answer).startsWith("HTTP/1.1 408 "));
    }
  }

  @Test
  void bodiesBeyondTheBytesInFlightAreRefused503AtOnceAndTheNodeRecovers() throws IOException {
    // two slow 1 MiB bodies hold the whole 2 MiB budget until BODY_TIMEOUT cuts them
    try (SlowBodies slow =
        SlowBodies.open(
            port,
            2,
            "PUT /put?key=big HTTP/1.1\r\nHost: x\r\nContent-Length: " + (1 << 20),
            Duration.ofMillis(200))) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metric("kv_bytes_in_flight") >= BYTES); // both reserved
      long start = System.nanoTime();
      String refused =
          headOnly(
              "PUT /put?key=refused HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  + (1 << 20)
                  + "\r\n\r\n");
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(refused).startsWith("HTTP/1.1 503 ").containsIgnoringCase("Retry-After: 1");
      JsonNode body = JSON.readTree(refused.substring(refused.indexOf("\r\n\r\n") + 4));
      assertThat(body.get("error").asText()).isEqualTo("overloaded");
      assertThat(body.get("message").asText()).contains("MAX_BYTES_IN_FLIGHT");
      assertThat(took).isLessThan(BODY); // at once, not when a slow one gives up
      assertAnsweredQuickly("GET", "/get?key=sentinel", 200); // bodiless requests pass
      assertThat(slow.answers(BODY.plusSeconds(5)))
          .hasSize(2)
          .allSatisfy(answer -> assertThat(answer).startsWith("HTTP/1.1 408 "));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(cluster.client().put(node, "fits", new byte[1 << 20]).statusCode())
                    .isEqualTo(204));
    assertThat(cluster.node(cluster.id(1)).storage().get(Key.of("refused"))).isEmpty();
    assertThat(metric("kv_requests_overloaded_total")).isPositive();
  }

  @Test
  void replicaWritesStillOnTheirWayHoldTheBudgetUntilThePeersAnswer() throws Exception {
    cluster.faults().hold(); // node-1's writes to its peers wait, unsent
    try {
      HttpResponse<byte[]> local = cluster.client().put(node, "held", new byte[1 << 20], "&w=1");
      assertThat(local.statusCode()).isEqualTo(204); // answered: node-1's own copy is W=1
      assertThat(metric("kv_bytes_in_flight")).isEqualTo(2 << 20); // one value for each peer

      String refused =
          headOnly(
              "PUT /put?key=refused HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  + (1 << 20)
                  + "\r\n\r\n");
      assertThat(refused).startsWith("HTTP/1.1 503 ").contains("MAX_BYTES_IN_FLIGHT");
    } finally {
      cluster.faults().release();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(metric("kv_bytes_in_flight")).isZero());
    assertThat(cluster.client().put(node, "after", new byte[1 << 20]).statusCode()).isEqualTo(204);
  }

  private static void assertAnsweredQuickly(String method, String path, int status) {
    long start = System.nanoTime();
    HttpResponse<byte[]> answer = cluster.client().send(method, node, path, null);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(answer.statusCode()).as("%s %s", method, path).isEqualTo(status);
    assertThat(took).as("%s %s took", method, path).isLessThan(Duration.ofSeconds(1));
  }

  /** Sends a request's head only and returns the answer; the body never follows. */
  private static String headOnly(String head) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static double metric(String name) {
    String text =
        new String(
            cluster.client().send("GET", node, "/metrics", null).body(), StandardCharsets.UTF_8);
    return text.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
