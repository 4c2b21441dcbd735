package kv.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import kv.common.ClusterToken;
import kv.common.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code GET /members?index=V&wait=D}, the seed's blocking query, over real HTTP. */
@Timeout(30)
class MembersWatchApiTest {
  private static final String TOKEN = "s3cret";
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final SeedServer seed =
      SeedServer.startManual(
          SeedConfig.forTests().withToken(ClusterToken.of(Optional.of(TOKEN))).withMaxWatches(2),
          clock);

  @AfterEach
  void stop() {
    seed.close();
  }

  @Test
  void aWatchIsHeldUntilTheListChangesAndAnswersWithTheNewList() throws Exception {
    long version = seed.registry().view().version();
    CompletableFuture<HttpResponse<String>> watch = watch("index=" + version + "&wait=20s", TOKEN);
    assertThat(watch.completeOnTimeout(null, 300, TimeUnit.MILLISECONDS).join()).isNull();

    watch = watch("index=" + version + "&wait=20s", TOKEN);
    register("node-a");

    HttpResponse<String> answer = watch.get(5, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    JsonNode list = json.readTree(answer.body());
    assertThat(list.get("version").asLong()).isEqualTo(version + 1);
    assertThat(list.get("members").get(0).get("id").asText()).isEqualTo("node-a");
    assertThat(list.get("changedAt").asLong()).isEqualTo(clock.millis());
  }

  @Test
  void aWatchWithNothingToReportAnswersTheUnchangedListWhenItsWaitIsOver() throws Exception {
    long version = seed.registry().view().version();
    HttpResponse<String> answer =
        watch("index=" + version + "&wait=200ms", TOKEN).get(5, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(json.readTree(answer.body()).get("version").asLong()).isEqualTo(version);
  }

  @Test
  void aWatchBehindTheListIsAnsweredAtOnce() throws Exception {
    register("node-a");
    HttpResponse<String> answer = watch("index=1&wait=20s", TOKEN).get(5, TimeUnit.SECONDS);
    assertThat(json.readTree(answer.body()).get("version").asLong())
        .isEqualTo(seed.registry().view().version());
  }

  @Test
  void aWatchNeedsTheTokenThePlainListDoesNot() throws Exception {
    long version = seed.registry().view().version();
    for (String token : new String[] {null, "wrong"}) {
      HttpResponse<String> refused =
          watch("index=" + version + "&wait=1s", token).get(5, TimeUnit.SECONDS);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(json.readTree(refused.body()).get("error").asText()).isEqualTo("unauthorized");
    }
    assertThat(watch("", null).get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "index=junk",
        "index=-1",
        "index=1.5",
        "index=",
        "index=1&wait=soon",
        "index=1&wait=-5s",
        "index=1&wait=5",
        "wait=5s",
        "index=99999999999999999999"
      })
  void aJunkIndexOrWaitIsA400JsonErrorAndHoldsNothing(String query) throws Exception {
    HttpResponse<String> answer = watch(query, TOKEN).get(5, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(400);
    JsonNode body = json.readTree(answer.body());
    assertThat(body.get("error").asText()).isEqualTo("bad_request");
    assertThat(body.get("message").asText()).containsAnyOf("index", "wait");
  }

  @Test
  void watchesPastMaxWatchesAre503OverloadedUntilOneIsAnswered() throws Exception {
    long version = seed.registry().view().version();
    CompletableFuture<HttpResponse<String>> first = watch("index=" + version + "&wait=20s", TOKEN);
    CompletableFuture<HttpResponse<String>> second = watch("index=" + version + "&wait=20s", TOKEN);
    await().atMost(Duration.ofSeconds(5)).until(() -> metric("seed_watches_open") == 2);

    HttpResponse<String> third =
        watch("index=" + version + "&wait=20s", TOKEN).get(5, TimeUnit.SECONDS);
    assertThat(third.statusCode()).isEqualTo(503);
    assertThat(json.readTree(third.body()).get("error").asText()).isEqualTo("overloaded");

    register("node-a"); // answers both
    assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(second.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    long now = seed.registry().view().version();
    assertThat(
            watch("index=" + now + "&wait=20s", TOKEN)
                .completeOnTimeout(null, 300, TimeUnit.MILLISECONDS)
                .join())
        .isNull(); // held again
  }

  @Test
  void stoppingTheSeedAnswersOpenWatchesInsteadOfHangingTheStop() throws Exception {
    long version = seed.registry().view().version();
    CompletableFuture<HttpResponse<String>> watch = watch("index=" + version + "&wait=20s", TOKEN);
    await().atMost(Duration.ofSeconds(5)).until(() -> metric("seed_watches_open") == 1);
    long started = System.nanoTime();
    seed.close();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(watch.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  private CompletableFuture<HttpResponse<String>> watch(String query, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + seed.port()
                        + "/members"
                        + (query.isEmpty() ? "" : "?" + query)))
            .timeout(Duration.ofSeconds(25))
            .GET();
    if (token != null) {
      request.header(ClusterToken.HEADER, token);
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void register(String id) throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + seed.port() + "/register"))
                .header(ClusterToken.HEADER, TOKEN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"nodeId\":\"" + id + "\",\"address\":\"10.0.0.9:8080\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
  }

  private double metric(String name) throws Exception {
    String text =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + seed.port() + "/metrics"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return text.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }
}
