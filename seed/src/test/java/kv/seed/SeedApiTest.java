package kv.seed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seed over real HTTP on a free port. */
class SeedApiTest {
  private static final String TOKEN = "s3cret";
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final SeedServer seed = SeedServer.startManual(
      SeedConfig.forTests().withToken(ClusterToken.of(Optional.of(TOKEN))), clock);

  @AfterEach
  void stop() {
    seed.close();
  }

  @Test
  void oversizedHeadersGetA431JsonErrorAndRegisterNothing() throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + seed.port() + "/register"))
        .header(ClusterToken.HEADER, TOKEN).header("X-Padding", "p".repeat(9 * 1024))
        .POST(HttpRequest.BodyPublishers.ofString("{\"port\":8081}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(431);
    assertThat(json.readTree(answer.body()).get("message").asText()).contains("8192 bytes");
    assertThat(json.readTree(get("/members").body()).get("members")).isEmpty();
  }

  @Test
  void registerHeartbeatExpireAndRegisterAgain() throws Exception {
    JsonNode registered = json.readTree(post("/register", "{\"port\":8081}", TOKEN).body());
    String id = registered.get("nodeId").asText();
    assertThat(registered.get("address").asText()).isEqualTo("127.0.0.1:8081"); // source address
    assertThat(registered.get("view").get("members")).hasSize(1);

    HttpResponse<String> beat = post("/heartbeat", "{\"nodeId\":\"" + id + "\"}", TOKEN);
    assertThat(beat.statusCode()).isEqualTo(200);
    assertThat(json.readTree(beat.body()).get("version").asLong())
        .isEqualTo(registered.get("view").get("version").asLong());

    clock.advance(Duration.ofSeconds(16));
    seed.expireStale();
    HttpResponse<String> refused = post("/heartbeat", "{\"nodeId\":\"" + id + "\"}", TOKEN);
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(json.readTree(refused.body()).get("error").asText()).isEqualTo("unknown_node");

    JsonNode back = json.readTree(post("/register",
        "{\"nodeId\":\"" + id + "\",\"address\":\"node-host:9999\"}", TOKEN).body());
    assertThat(back.get("nodeId").asText()).isEqualTo(id);
    JsonNode members = json.readTree(get("/members").body());
    assertThat(members.get("members").get(0).get("address").asText()).isEqualTo("node-host:9999");
    assertThat(members.get("version").asLong()).isGreaterThan(registered.get("view").get("version").asLong());
  }

  @Test
  void deregisterDropsTheNodeAtOnceAndBumpsTheVersion() throws Exception {
    String id = json.readTree(post("/register", "{\"port\":8081}", TOKEN).body())
        .get("nodeId").asText();
    post("/register", "{\"nodeId\":\"other\",\"port\":8082}", TOKEN);
    long before = seed.registry().view().version();
    String body = "{\"nodeId\":\"" + id + "\"}";

    assertThat(post("/deregister", body, null).statusCode()).isEqualTo(401);
    assertThat(post("/deregister", body, "wrong").statusCode()).isEqualTo(401);
    assertThat(seed.registry().view().version()).isEqualTo(before);

    HttpResponse<String> left = post("/deregister", body, TOKEN);
    assertThat(left.statusCode()).isEqualTo(200);
    assertThat(json.readTree(left.body()).get("version").asLong()).isGreaterThan(before);
    JsonNode members = json.readTree(get("/members").body());
    assertThat(members.get("members")).hasSize(1);
    assertThat(members.get("members").get(0).get("id").asText()).isEqualTo("other");

    HttpResponse<String> again = post("/deregister", body, TOKEN);
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(json.readTree(again.body()).get("error").asText()).isEqualTo("unknown_node");
    assertThat(post("/heartbeat", body, TOKEN).statusCode()).isEqualTo(404);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "junk", "[]", "{}", "{\"nodeId\":null}", "{\"nodeId\":\"\"}",
      "{\"nodeId\":\"bad id!\"}", "{\"nodeId\":5"})
  void malformedDeregistrationIs400AndChangesNothing(String body) throws Exception {
    post("/register", "{\"nodeId\":\"stays\",\"port\":8082}", TOKEN);
    long version = seed.registry().view().version();
    HttpResponse<String> answer = post("/deregister", body, TOKEN);
    assertThat(answer.statusCode()).isEqualTo(400);
    assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("bad_request");
    assertThat(seed.registry().view().version()).isEqualTo(version);
  }

  @Test
  void healthAnswers() throws Exception {
    assertThat(get("/health").body()).contains("UP");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "junk", "null", "[]", "{}", "{\"port\":0}", "{\"port\":70000}",
      "{\"port\":\"x\"}", "{\"nodeId\":\"bad id!\",\"port\":8080}", "{\"address\":\"nohost\"}",
      "{\"address\":\"h:99999\"}", "{\"port\":8080} trailing"})
  void malformedRegistrationIs400AndChangesNothing(String body) throws Exception {
    long version = seed.registry().view().version();
    HttpResponse<String> answer = post("/register", body, TOKEN);
    assertThat(answer.statusCode()).isEqualTo(400);
    assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("bad_request");
    assertThat(json.readTree(answer.body()).get("message").asText()).isNotBlank();
    assertThat(seed.registry().view().version()).isEqualTo(version);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "junk", "{}", "{\"nodeId\":null}", "{\"nodeId\":\"\"}"})
  void malformedHeartbeatIs400(String body) throws Exception {
    HttpResponse<String> answer = post("/heartbeat", body, TOKEN);
    assertThat(answer.statusCode()).isEqualTo(400);
    assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("bad_request");
  }

  @Test
  void registrationWithoutTheTokenIs401AndChangesNothing() throws Exception {
    for (String token : new String[] {null, "wrong", TOKEN + "x", ""}) {
      HttpResponse<String> answer = post("/register", "{\"port\":8081}", token);
      assertThat(answer.statusCode()).isEqualTo(401);
      assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("unauthorized");
    }
    assertThat(seed.registry().view().members()).isEmpty();
  }

  @Test
  void wrongMethodAndUnknownPathAreJsonErrors() throws Exception {
    HttpResponse<String> wrongMethod = http.send(
        HttpRequest.newBuilder(url("/register")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(json.readTree(wrongMethod.body()).get("error").asText()).isEqualTo("method_not_allowed");
    HttpResponse<String> unknown = get("/nothing-here");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json.readTree(unknown.body()).get("error").asText()).isEqualTo("not_found");
  }

  private HttpResponse<String> post(String path, String body, String token) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url(path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    if (token != null) {
      request.header(ClusterToken.HEADER, token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(url(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + seed.port() + path);
  }
}
