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
import java.util.List;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.LogCapture;
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
  private final SeedServer seed =
      SeedServer.startManual(
          SeedConfig.forTests().withToken(ClusterToken.of(Optional.of(TOKEN))), clock);

  @AfterEach
  void stop() {
    seed.close();
  }

  @Test
  void oversizedHeadersGetA431JsonErrorAndRegisterNothing() throws Exception {
    HttpResponse<String> answer =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + seed.port() + "/register"))
                .header(ClusterToken.HEADER, TOKEN)
                .header("X-Padding", "p".repeat(9 * 1024))
                .POST(HttpRequest.BodyPublishers.ofString("{\"port\":8081}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(431);
    assertThat(json.readTree(answer.body()).get("message").asText()).contains("8192 bytes");
    assertThat(json.readTree(get("/members").body()).get("members")).isEmpty();
  }

  @Test
  void registerHeartbeatExpireAndRegisterAgain() throws Exception {
    JsonNode registered = json.readTree(post("/register", "{\"port\":8081}", TOKEN).body());
    String id = registered.get("nodeId").asText();
    String credential = registered.get("credential").asText();
    assertThat(registered.get("address").asText()).isEqualTo("127.0.0.1:8081"); // source address
    assertThat(registered.get("view").get("members")).hasSize(1);
    assertThat(credential).hasSizeGreaterThanOrEqualTo(43); // 256 random bits, issued by the seed

    String beatBody = "{\"nodeId\":\"" + id + "\",\"credential\":\"" + credential + "\"}";
    HttpResponse<String> beat = post("/heartbeat", beatBody, TOKEN);
    assertThat(beat.statusCode()).isEqualTo(200);
    assertThat(json.readTree(beat.body()).get("version").asLong())
        .isEqualTo(registered.get("view").get("version").asLong());

    clock.advance(Duration.ofSeconds(16));
    seed.expireStale();
    HttpResponse<String> refused = post("/heartbeat", beatBody, TOKEN);
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(json.readTree(refused.body()).get("error").asText()).isEqualTo("unknown_node");

    JsonNode back =
        json.readTree(
            post(
                    "/register",
                    "{\"nodeId\":\""
                        + id
                        + "\",\"address\":\"node-host:9999\",\"credential\":\""
                        + credential
                        + "\"}",
                    TOKEN)
                .body());
    assertThat(back.get("nodeId").asText()).isEqualTo(id);
    assertThat(back.get("credential").asText()).isEqualTo(credential);
    JsonNode members = json.readTree(get("/members").body());
    assertThat(members.get("members").get(0).get("address").asText()).isEqualTo("node-host:9999");
    assertThat(members.get("version").asLong())
        .isGreaterThan(registered.get("view").get("version").asLong());
  }

  @Test
  void deregisterDropsTheNodeAtOnceAndBumpsTheVersion() throws Exception {
    JsonNode registered = json.readTree(post("/register", "{\"port\":8081}", TOKEN).body());
    String id = registered.get("nodeId").asText();
    post("/register", "{\"nodeId\":\"other\",\"port\":8082}", TOKEN);
    long before = seed.registry().view().version();
    String body =
        "{\"nodeId\":\""
            + id
            + "\",\"credential\":\""
            + registered.get("credential").asText()
            + "\"}";

    assertThat(post("/deregister", body, null).statusCode()).isEqualTo(401);
    assertThat(post("/deregister", body, "wrong").statusCode()).isEqualTo(401);
    assertThat(post("/deregister", "{\"nodeId\":\"" + id + "\"}", TOKEN).statusCode())
        .isEqualTo(403);
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
  @ValueSource(
      strings = {
        "",
        "junk",
        "[]",
        "{}",
        "{\"nodeId\":null}",
        "{\"nodeId\":\"\"}",
        "{\"nodeId\":\"bad id!\"}",
        "{\"nodeId\":5"
      })
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
  @ValueSource(
      strings = {
        "",
        "junk",
        "null",
        "[]",
        "{}",
        "{\"port\":0}",
        "{\"port\":70000}",
        "{\"port\":\"x\"}",
        "{\"nodeId\":\"bad id!\",\"port\":8080}",
        "{\"address\":\"nohost\"}",
        "{\"address\":\"h:99999\"}",
        "{\"port\":8080} trailing"
      })
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
    HttpResponse<String> wrongMethod =
        http.send(
            HttpRequest.newBuilder(url("/register")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(json.readTree(wrongMethod.body()).get("error").asText())
        .isEqualTo("method_not_allowed");
    HttpResponse<String> unknown = get("/nothing-here");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json.readTree(unknown.body()).get("error").asText()).isEqualTo("not_found");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "evil\\r\\nINFO forged log line:80",
        "nul\\u0000host:80",
        "user@host:80",
        "a b:80",
        "host:+80",
        "host: 80",
        "host:80 ",
        "::1:80",
        "-host:80",
        "host-:80",
        "a..b:80",
        ".:80",
        "ho$t:80",
        "h\\u00e9:80",
        "[::1]x:80",
        "[zz::1]:80",
        "host:123456",
        "host:0x50"
      })
  void registrationWithAnAddressThatIsNotHostPortIs400AndChangesNothing(String address)
      throws Exception {
    long version = seed.registry().view().version();
    HttpResponse<String> answer = post("/register", "{\"address\":\"" + address + "\"}", TOKEN);
    assertThat(answer.statusCode()).as(address).isEqualTo(400);
    assertThat(json.readTree(answer.body()).get("error").asText()).isEqualTo("bad_request");
    assertThat(json.readTree(answer.body()).get("message").asText())
        .doesNotContain("\r", "\n", "\u0000");
    assertThat(seed.registry().view().version()).isEqualTo(version);
  }

  @Test
  void overLongHostNamesAreRefusedAndNamesAndAddressesOfEveryKindAccepted() throws Exception {
    String label = "a".repeat(63);
    String longest = String.join(".", label, label, label, "a".repeat(61)); // 253 characters
    assertThat(post("/register", "{\"address\":\"" + longest + "x:80\"}", TOKEN).statusCode())
        .isEqualTo(400);
    assertThat(post("/register", "{\"address\":\"" + "a".repeat(64) + ":80\"}", TOKEN).statusCode())
        .isEqualTo(400); // a label of 64
    assertThat(
            post("/register", "{\"address\":\"" + "x".repeat(300) + ":80\"}", TOKEN).statusCode())
        .isEqualTo(400);
    assertThat(seed.registry().view().members()).isEmpty();

    for (String address :
        List.of(
            longest + ":80",
            "10.0.0.7:8080",
            "[::1]:8080",
            "[fe80::1%eth0]:8080",
            "kv_kv-node_1:8080",
            "node-3.kv.svc.cluster.local:65535")) {
      HttpResponse<String> answer = post("/register", "{\"address\":\"" + address + "\"}", TOKEN);
      assertThat(answer.statusCode()).as(address).isEqualTo(200);
      assertThat(json.readTree(answer.body()).get("address").asText()).isEqualTo(address);
    }
  }

  @Test
  void aLiveIdIsNotTakenMovedKeptAliveOrRemovedWithoutItsCredential() throws Exception {
    JsonNode owner =
        json.readTree(
            post("/register", "{\"nodeId\":\"node-1\",\"address\":\"10.0.0.1:8080\"}", TOKEN)
                .body());
    var before = seed.registry().view();

    HttpResponse<String> taken =
        post("/register", "{\"nodeId\":\"node-1\",\"address\":\"10.6.6.6:8080\"}", TOKEN);
    assertThat(taken.statusCode()).isEqualTo(409);
    assertThat(json.readTree(taken.body()).get("error").asText()).isEqualTo("id_in_use");
    assertThat(json.readTree(taken.body()).get("message").asText())
        .contains("node-1", "10.0.0.1:8080", "NODE_ID");
    String forged = "{\"nodeId\":\"node-1\",\"credential\":\"" + "A".repeat(43) + "\"}";
    for (String body : List.of("{\"nodeId\":\"node-1\"}", forged)) {
      for (String path : List.of("/heartbeat", "/deregister")) {
        HttpResponse<String> answer = post(path, body, TOKEN);
        assertThat(answer.statusCode()).as(path + " " + body).isEqualTo(403);
        assertThat(json.readTree(answer.body()).get("error").asText())
            .isEqualTo("wrong_credential");
      }
    }
    assertThat(seed.registry().view()).isEqualTo(before);

    String own = owner.get("credential").asText();
    assertThat(
            post("/heartbeat", "{\"nodeId\":\"node-1\",\"credential\":\"" + own + "\"}", TOKEN)
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void refusalsAreLoggedAtWarnAtMostOncePerKindEveryTenSeconds() throws Exception {
    post("/register", "{\"nodeId\":\"node-1\",\"port\":8081}", TOKEN);
    try (LogCapture log = LogCapture.of("kv.seed.api.RefusalLog")) {
      for (int i = 0; i < 5; i++) {
        post("/register", "{\"nodeId\":\"node-1\",\"port\":9999}", TOKEN);
        post("/heartbeat", "{\"nodeId\":\"node-1\"}", TOKEN);
        post("/register", "{\"port\":8082}", "not-the-token");
      }
      assertThat(log.warnings()).hasSize(3);
      assertThat(log.warnings())
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith(
                          "Refused /register from 127.0.0.1: 409 node id node-1 is registered"));
      assertThat(log.warnings())
          .anySatisfy(
              line -> assertThat(line).startsWith("Refused /heartbeat from 127.0.0.1: 403"));
      assertThat(log.warnings())
          .anySatisfy(line -> assertThat(line).startsWith("Refused /register from 127.0.0.1: 401"));

      clock.advance(Duration.ofSeconds(10));
      post("/heartbeat", "{\"nodeId\":\"node-1\"}", TOKEN);
      assertThat(log.warnings()).hasSize(4);
      assertThat(log.warnings().get(3))
          .endsWith("(4 more wrong_credential refusal(s) since the" + " last line, not logged)");
    }
  }

  private HttpResponse<String> post(String path, String body, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url(path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (token != null) {
      request.header(ClusterToken.HEADER, token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(url(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + seed.port() + path);
  }
}
