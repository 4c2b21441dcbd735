package kv.seed;

import static kv.common.http.HttpFuzzer.ENCODINGS;
import static kv.common.http.HttpFuzzer.pick;
import static kv.common.http.HttpFuzzer.randomBytes;
import static kv.common.http.HttpFuzzer.randomText;
import static kv.common.http.HttpFuzzer.randomUnicode;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.http.HttpFuzzer;
import kv.common.http.HttpLimits;
import kv.common.wire.MemberInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes' fuzz test ({@link HttpFuzzer}) against the seed: ten thousand random and malformed
 * requests, most carrying the cluster token so their JSON bodies (valid, cut short, mutated,
 * nested, oversized) reach the parser. No answer may be a 5xx, the seed must stay healthy, and the
 * sentinel members registered first must still be listed at their addresses: the fuzzer's node ids
 * never name them. Rerun a failure with {@code -Dfuzz.seed=N}.
 */
class SeedFuzzTest {
  private static final Logger log = LoggerFactory.getLogger(SeedFuzzTest.class);
  private static final String TOKEN = "fuzz-token";
  private static final int REQUESTS = 10_000;
  private static final int THREADS = 8;
  private static final int SENTINELS = 20;
  private static final String[] PATHS = {
    "/register",
    "/register",
    "/heartbeat",
    "/heartbeat",
    "/deregister",
    "/deregister",
    "/members",
    "/health",
    "/metrics",
    "/register/",
    "//heartbeat",
    "/members/x",
    "/deregister;x=1",
    "/internal/kv"
  };

  @Test
  @Timeout(180)
  void tenThousandMalformedRequestsGetNo5xxAndKeepEveryOtherMember(TestReporter reporter)
      throws Exception {
    long seed = Long.getLong("fuzz.seed", new Random().nextLong());
    reporter.publishEntry("fuzz.seed", String.valueOf(seed));
    log.info("Fuzzing the seed with seed {} (rerun with -Dfuzz.seed={})", seed, seed);
    SeedConfig config =
        SeedConfig.forTests()
            .withToken(ClusterToken.of(Optional.of(TOKEN)))
            .withLimits(
                HttpLimits.defaults()
                    .withIdleTimeout(Duration.ofSeconds(2))
                    .withHeaderTimeout(Duration.ofSeconds(1)));
    try (SeedServer server = SeedServer.startManual(config, MutableClock.atEpoch2030())) {
      for (int i = 0; i < SENTINELS; i++) {
        server.registry().register(Optional.of(sentinel(i)), sentinelAddress(i), Optional.empty());
      }
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpFuzzer.Report report =
          HttpFuzzer.run(new SeedDialect(client), server.port(), seed, REQUESTS, THREADS);

      String seedNote = "fuzz seed " + seed + " (rerun with -Dfuzz.seed=" + seed + ")";
      reporter.publishEntry(
          "fuzz.answered",
          report.answered() + " answered, " + report.unanswered() + " closed without an answer");
      assertThat(report.serverErrors()).as(seedNote).isEmpty();
      assertThat(report.answered()).as(seedNote).isGreaterThan(REQUESTS / 2);
      assertThat(get(client, server, "/metrics").body())
          .as(seedNote + ": 5xx recorded")
          .doesNotContainPattern("http_server_requests_seconds_count\\{[^}]*status=\"5\\d\\d\"");
      assertThat(get(client, server, "/health").statusCode()).as(seedNote).isEqualTo(200);
      List<MemberInfo> members = server.registry().view().members();
      for (int i = 0; i < SENTINELS; i++) {
        assertThat(members).as(seedNote).contains(new MemberInfo(sentinel(i), sentinelAddress(i)));
      }
    }
  }

  /** The seed's requests: JSON bodies for its three POST routes, most with the right token. */
  private static final class SeedDialect implements HttpFuzzer.Dialect {
    private final HttpClient client;

    SeedDialect(HttpClient client) {
      this.client = client;
    }

    @Override
    public String[] paths() {
      return PATHS;
    }

    @Override
    public String query(Random random) {
      return switch (random.nextInt(6)) {
        case 0 ->
            "?index="
                + pick(
                    random,
                    new String[] {"1", "-1", "x", "99999999999999999999", pick(random, ENCODINGS)})
                + "&wait="
                + pick(random, new String[] {"1s", "0", "x", "99999h", "-5s", ""});
        case 1 -> "?" + randomText(random, random.nextInt(20));
        default -> "";
      };
    }

    @Override
    public byte[] content(Random random) {
      return switch (random.nextInt(10)) {
        case 0 -> randomBytes(random, random.nextInt(200));
        case 1 -> nested(random).getBytes(StandardCharsets.UTF_8);
        case 2 ->
            ("{\"nodeId\":\"fz-" + "x".repeat(3000 + random.nextInt(3000)) + "\"}")
                .getBytes(StandardCharsets.UTF_8); // around the 4 KiB limit
        default -> mutate(random, json(random).getBytes(StandardCharsets.UTF_8));
      };
    }

    @Override
    public Map<String, String> headers(Random random) {
      Map<String, String> headers = new LinkedHashMap<>();
      if (random.nextInt(10) < 7) {
        headers.put(ClusterToken.HEADER, TOKEN);
      }
      if (random.nextBoolean()) {
        headers.put("Content-Type", "application/json");
      }
      return headers;
    }

    @Override
    public HttpFuzzer.Sent wellFormed(Random random, int port) {
      String path = pick(random, new String[] {"/register", "/heartbeat", "/deregister"});
      String body = json(random);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.ofString(body));
      if (random.nextInt(10) != 0) {
        request.header(ClusterToken.HEADER, TOKEN);
      }
      String described = "POST " + path + " " + body;
      try {
        int status =
            client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        return new HttpFuzzer.Sent(described, OptionalInt.of(status));
      } catch (IOException e) {
        return new HttpFuzzer.Sent(described, OptionalInt.empty());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new HttpFuzzer.Sent(described, OptionalInt.empty());
      }
    }

    /** A registration, heartbeat or deregistration as a node would send it, for a fuzz id. */
    private static String json(Random random) {
      String id =
          "\"fz-"
              + pick(
                      random,
                      new String[] {
                        "",
                        randomText(random, 8),
                        randomUnicode(random, 6),
                        String.valueOf(random.nextInt(100))
                      })
                  .replace("\"", "")
              + "\"";
      return switch (random.nextInt(7)) {
        case 0 ->
            "{\"port\":"
                + pick(
                    random,
                    new String[] {
                      "8080",
                      "0",
                      "-1",
                      "65536",
                      "1e3",
                      "\"8080\"",
                      "null",
                      "99999999999999999999",
                      "[]"
                    })
                + "}";
        case 1 ->
            "{\"address\":\""
                + pick(
                    random,
                    new String[] {
                      "fz-host:8080", "fz-host", ":80", "fz-host:0", "[::1]:8080", "fz host:1", ""
                    })
                + "\"}";
        case 2 -> "{\"nodeId\":" + id + ",\"port\":" + (1 + random.nextInt(65_535)) + "}";
        case 3 -> "{\"nodeId\":" + id + ",\"address\":\"fz-host:" + random.nextInt(70_000) + "\"}";
        case 4 ->
            "{\"nodeId\":"
                + pick(random, new String[] {id, "null", "5", "[]", "{}", "\"\"", "true"})
                + "}";
        case 5 -> "{\"nodeId\":" + id + ",\"extra\":" + randomText(random, 5) + "}";
        default ->
            pick(
                random,
                new String[] {
                  "",
                  "{}",
                  "[]",
                  "null",
                  "\"x\"",
                  "{",
                  "}",
                  "{\"nodeId\"",
                  "{\"nodeId\":",
                  "{\"port\":8080} trailing",
                  "\u00ef\u00bb\u00bf{}"
                });
      };
    }

    /** Cut short, a byte flipped, or something inserted; sometimes left alone. */
    private static byte[] mutate(Random random, byte[] json) {
      if (json.length == 0) {
        return json;
      }
      return switch (random.nextInt(4)) {
        case 0 -> java.util.Arrays.copyOf(json, random.nextInt(json.length));
        case 1 -> {
          byte[] copy = json.clone();
          copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
          yield copy;
        }
        case 2 -> {
          int at = random.nextInt(json.length);
          String text =
              new String(json, 0, at, StandardCharsets.ISO_8859_1)
                  + randomUnicode(random, 3)
                  + new String(json, at, json.length - at, StandardCharsets.ISO_8859_1);
          yield text.getBytes(StandardCharsets.UTF_8);
        }
        default -> json;
      };
    }

    /** Arrays or objects nested past Jackson's depth limit, closed or not. */
    private static String nested(Random random) {
      int depth = 500 + random.nextInt(2000);
      boolean arrays = random.nextBoolean();
      String open = arrays ? "[" : "{\"a\":";
      String close = arrays ? "]" : "}";
      return open.repeat(depth) + "1" + (random.nextBoolean() ? close.repeat(depth) : "");
    }
  }

  private static HttpResponse<String> get(HttpClient client, SeedServer server, String path)
      throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static NodeId sentinel(int i) {
    return NodeId.of("sentinel-" + i);
  }

  private static Endpoint sentinelAddress(int i) {
    return Endpoint.parse("sentinel-host-" + i + ":8080");
  }
}
