package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import kv.common.http.HttpLimits;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Slow, silent and oversized clients on raw sockets: each is cut off within a bound. */
@Timeout(30)
class ConnectionLimitsTest {
  private static final Duration IDLE = Duration.ofMillis(1500);
  private static final Duration HEADERS = Duration.ofMillis(800);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestCluster cluster;
  private static int port;

  @BeforeAll
  static void start() {
    cluster =
        TestCluster.start(
            3,
            config ->
                config.withLimits(
                    HttpLimits.defaults().withIdleTimeout(IDLE).withHeaderTimeout(HEADERS)));
    port = cluster.node(cluster.id(1)).port();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aSilentConnectionIsClosedAfterTheIdleTimeout() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      assertThat(readToEnd(socket.getInputStream())).isEmpty();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isBetween(IDLE.minusMillis(200), IDLE.plusSeconds(2));
    }
    assertHealthy();
  }

  @Test
  void aClientDribblingItsHeadersIsCutOffAfterTheHeaderTimeout() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      byte[] head =
          ("GET /get?key=slow HTTP/1.1\r\nHost: x\r\n" + "X-Slow: " + "a".repeat(500))
              .getBytes(StandardCharsets.US_ASCII);
      OutputStream out = socket.getOutputStream();
      long start = System.nanoTime();
      CompletableFuture<Void> dribbler =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = 0; i < head.length && !stop.get(); i++) {
                    out.write(head[i]); // one byte every 50 ms: never idle for IDLE_TIMEOUT
                    out.flush();
                    Thread.sleep(50); // the load being tested, not a wait for a condition
                  }
                } catch (IOException e) {
                  // the server closed the connection: what this test expects
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });

      String answer = readToEnd(socket.getInputStream());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      stop.set(true);
      dribbler.get();
      assertThat(answer).doesNotContain("HTTP/1.1 200").doesNotContain("HTTP/1.1 404");
      assertThat(took).as("cut off after").isLessThan(HEADERS.multipliedBy(2).plusMillis(500));
      assertThat(took).isLessThan(IDLE); // the header deadline, not the idle timeout
    }
    assertHealthy();
  }

  @Test
  void headersOverEightKibAreAnswered431WithAJsonBody() throws IOException {
    for (int size : new int[] {9 * 1024, 64 * 1024}) {
      String answer =
          exchange(
              "GET /get?key=x HTTP/1.1\r\nHost: x\r\nX-Big: "
                  + "b".repeat(size)
                  + "\r\nConnection: close\r\n\r\n");
      assertThat(answer).startsWith("HTTP/1.1 431 ");
      JsonNode body = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
      assertThat(body.get("error").asText()).isEqualTo("bad_request");
      assertThat(body.get("message").asText()).contains("headers exceed 8192 bytes");
    }
    String justUnder =
        exchange(
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Fits: "
                + "c".repeat(7000)
                + "\r\nConnection: close\r\n\r\n");
    assertThat(justUnder).startsWith("HTTP/1.1 200 ");
    assertHealthy();
  }

  private static void assertHealthy() throws IOException {
    assertThat(exchange("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200 ")
        .contains("\"UP\"");
  }

  private static String exchange(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return readToEnd(socket.getInputStream());
    }
  }

  /** Everything the server sends until it closes; a reset counts as a close. */
  private static String readToEnd(InputStream in) throws IOException {
    var bytes = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        bytes.write(buffer, 0, n);
      }
    } catch (SocketException reset) {
      // closed with unread input pending: the kernel resets instead of a clean FIN
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
