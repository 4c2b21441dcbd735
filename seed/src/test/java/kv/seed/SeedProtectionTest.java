package kv.seed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import kv.common.MutableClock;
import kv.common.http.SlowBodies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14 item 4 on the seed: 200 slow {@code /register} bodies used to take all its threads, so
 * that heartbeats went unanswered and every node expired. Bodies are now read without a thread and
 * cut with 408 after the body timeout (10 s by default), and the seed keeps answering.
 */
class SeedProtectionTest {
  private static final int SLOW = 250; // more than the seed's 200 threads
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final SeedServer seed =
      SeedServer.startManual(SeedConfig.forTests(), MutableClock.atEpoch2030());

  @AfterEach
  void stop() {
    seed.close();
  }

  @Test
  @Timeout(60)
  void slowRegistrationsAreCutWith408AndHeartbeatsAreAnsweredMeanwhile() throws Exception {
    String[] registered = register();
    String id = registered[0];
    long start = System.nanoTime();
    try (SlowBodies slow =
        SlowBodies.open(
            seed.port(),
            SLOW,
            "POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 64",
            Duration.ofMillis(500))) {
      for (int i = 0; i < 10; i++) {
        long sent = System.nanoTime();
        HttpResponse<String> beat =
            post(
                "/heartbeat",
                "{\"nodeId\":\"" + id + "\",\"credential\":\"" + registered[1] + "\"}");
        assertThat(beat.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(1));
        assertThat(get("/members").statusCode()).isEqualTo(200);
      }
      assertThat(slow.answers(Duration.ofSeconds(20)))
          .hasSize(SLOW)
          .allSatisfy(
              answer ->
                  assertThat(answer)
                      .startsWith("HTTP/1.1 408 ")
                      .contains("\"error\":\"request_timeout\""));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(seed.registry().view().members()).hasSize(1); // only the real one
  }

  /** The id and the credential the seed gave. */
  private String[] register() throws IOException, InterruptedException {
    String body = post("/register", "{\"port\":8081}").body();
    return new String[] {
      body.replaceAll(".*\"nodeId\":\"([^\"]+)\".*", "$1"),
      body.replaceAll(".*\"credential\":\"([^\"]+)\".*", "$1")
    };
  }

  private HttpResponse<String> post(String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + seed.port() + path))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + seed.port() + path))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
