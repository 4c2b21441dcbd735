package kv.node.api;

import static kv.common.http.HttpFuzzer.ENCODINGS;
import static kv.common.http.HttpFuzzer.pick;
import static kv.common.http.HttpFuzzer.randomBytes;
import static kv.common.http.HttpFuzzer.randomText;
import static kv.common.http.HttpFuzzer.randomUnicode;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.http.HttpFuzzer;
import kv.common.http.HttpLimits;
import kv.node.harness.TestCluster;
import kv.node.version.Versioned;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ten thousand random and malformed requests against one node of a three-node cluster, from the
 * shared {@link HttpFuzzer} (raw bytes on a socket, some through OkHttp) speaking the node's
 * dialect: its paths, keys, quorum parameters, version headers, binary values. No answer may be a
 * 5xx, the node must stay healthy, and the sentinel keys written first must be untouched: the
 * fuzzer never sends a well-formed write to them (its own keys start with {@code fz-}).
 *
 * <p>The seed is random per run and reported; rerun a failure with {@code -Dfuzz.seed=N}. The run
 * takes about 20 s here; the timeout leaves room for a slower machine.
 */
class FuzzTest {
  private static final Logger log = LoggerFactory.getLogger(FuzzTest.class);
  private static final int REQUESTS = 10_000;
  private static final int THREADS = 8;
  private static final int SENTINELS = 100;
  private static final String[] PATHS = {
    "/put",
    "/get",
    "/delete",
    "/locate",
    "/cluster",
    "/health",
    "/metrics",
    "/internal/kv",
    "/internal/batch",
    "/internal/records",
    "/internal/merkle",
    "/internal/range",
    "//put",
    "/put/",
    "/get/x",
    "/put;jsessionid=1",
    "/get%3Fkey=x",
    "/internal/kv/../../put",
    "/deregister"
  };

  @Test
  @Timeout(180)
  void tenThousandMalformedRequestsGetNo5xxAndChangeNoOtherKey(TestReporter reporter)
      throws Exception {
    long seed = Long.getLong("fuzz.seed", new Random().nextLong());
    reporter.publishEntry("fuzz.seed", String.valueOf(seed));
    log.info("Fuzzing with seed {} (rerun with -Dfuzz.seed={})", seed, seed);
    try (TestCluster cluster =
        TestCluster.start(
            3,
            config ->
                config.withLimits(
                    HttpLimits.defaults()
                        .withIdleTimeout(Duration.ofSeconds(2))
                        .withHeaderTimeout(Duration.ofSeconds(1))))) {
      NodeId target = cluster.id(1);
      int port = cluster.node(target).port();
      for (int i = 0; i < SENTINELS; i++) {
        assertThat(
                cluster
                    .client()
                    .put(cluster.url(target), sentinel(i), value(i), "&w=all")
                    .statusCode())
            .isEqualTo(204);
      }
      Map<String, Optional<Versioned>> before = snapshot(cluster);

      OkHttpClient okHttp =
          new OkHttpClient.Builder()
              .callTimeout(Duration.ofSeconds(10))
              .retryOnConnectionFailure(false)
              .build();
      HttpFuzzer.Report report;
      try {
        report = HttpFuzzer.run(new NodeDialect(okHttp), port, seed, REQUESTS, THREADS);
      } finally {
        okHttp.dispatcher().executorService().shutdown();
        okHttp.connectionPool().evictAll();
      }

      String seedNote = "fuzz seed " + seed + " (rerun with -Dfuzz.seed=" + seed + ")";
      reporter.publishEntry(
          "fuzz.answered",
          report.answered() + " answered, " + report.unanswered() + " closed without an answer");
      assertThat(report.serverErrors()).as(seedNote).isEmpty();
      assertThat(report.answered()).as(seedNote).isGreaterThan(REQUESTS / 2);
      String metrics =
          new String(
              cluster.client().send("GET", cluster.url(target), "/metrics", null).body(),
              StandardCharsets.UTF_8);
      assertThat(metrics)
          .as(seedNote + ": 5xx recorded by the node")
          .doesNotContainPattern("http_server_requests_seconds_count\\{[^}]*status=\"5\\d\\d\"");
      for (NodeId id : cluster.liveNodes()) {
        assertThat(cluster.client().send("GET", cluster.url(id), "/health", null).statusCode())
            .as(seedNote)
            .isEqualTo(200);
      }
      assertThat(snapshot(cluster)).as(seedNote + ": sentinel records").isEqualTo(before);
      for (int i = 0; i < SENTINELS; i++) {
        assertThat(cluster.client().get(cluster.url(cluster.id(2)), sentinel(i)).body())
            .as(seedNote)
            .isEqualTo(value(i));
      }
    }
  }

  /** A node's requests: keys (always the fuzzer's own), quorums, version headers, binary values. */
  private static final class NodeDialect implements HttpFuzzer.Dialect {
    private final OkHttpClient okHttp;

    NodeDialect(OkHttpClient okHttp) {
      this.okHttp = okHttp;
    }

    @Override
    public String[] paths() {
      return PATHS;
    }

    @Override
    public String query(Random random) {
      if (random.nextInt(10) == 0) {
        return "";
      }
      StringBuilder q = new StringBuilder("?");
      int params = random.nextInt(4);
      for (int i = 0; i <= params; i++) {
        if (i > 0) {
          q.append(random.nextInt(10) == 0 ? "&&" : "&");
        }
        switch (random.nextInt(10)) {
          case 0 -> q.append(pick(random, ENCODINGS));
          case 1 -> q.append("key");
          case 2 -> q.append("=").append(randomText(random, 5));
          case 3 ->
              q.append(random.nextBoolean() ? "w=" : "r=")
                  .append(
                      pick(
                          random,
                          new String[] {
                            "0",
                            "1",
                            "2",
                            "3",
                            "4",
                            "-1",
                            "all",
                            "one",
                            "quorum",
                            "most",
                            "",
                            "99999999999",
                            "1.5",
                            "%31"
                          }));
          case 4 -> q.append("key=fz-").append("k".repeat(1000 + random.nextInt(100)));
          default -> q.append("key=").append(fuzzKey(random));
        }
      }
      return q.toString();
    }

    /** A key that is always the fuzzer's own: {@code fz-} then anything, encoded or not. */
    private static String fuzzKey(Random random) {
      StringBuilder key = new StringBuilder("fz-");
      int parts = random.nextInt(4);
      for (int i = 0; i < parts; i++) {
        key.append(
            switch (random.nextInt(4)) {
              case 0 -> pick(random, ENCODINGS);
              case 1 -> randomText(random, random.nextInt(10));
              case 2 -> "%F0%9F%98%80"; // an emoji, well-formed
              default -> String.valueOf(random.nextInt(50));
            });
      }
      return key.toString();
    }

    @Override
    public byte[] content(Random random) {
      return randomBytes(
          random, random.nextInt(4) == 0 ? random.nextInt(4096) : random.nextInt(40));
    }

    @Override
    public Map<String, String> headers(Random random) {
      Map<String, String> headers = new LinkedHashMap<>();
      switch (random.nextInt(8)) {
        case 0 -> headers.put("X-Kv-Version", randomText(random, 20));
        case 1 -> headers.put("X-Kv-Tombstone", "true");
        default -> {}
      }
      return headers;
    }

    @Override
    public HttpFuzzer.Sent wellFormed(Random random, int port) {
      String method =
          pick(
              random,
              new String[] {"GET", "PUT", "DELETE", "POST", "PATCH", "OPTIONS", "HEAD", "FOO"});
      HttpUrl.Builder url =
          new HttpUrl.Builder()
              .scheme("http")
              .host("127.0.0.1")
              .port(port)
              .addPathSegments(
                  pick(
                      random,
                      new String[] {
                        "put",
                        "get",
                        "delete",
                        "locate",
                        "cluster",
                        "health",
                        "internal/kv",
                        "internal/batch",
                        "nope",
                        "put/x"
                      }));
      if (random.nextInt(5) != 0) {
        url.addQueryParameter("key", "fz-" + randomUnicode(random, random.nextInt(40)));
      }
      if (random.nextInt(4) == 0) {
        url.addQueryParameter(random.nextBoolean() ? "w" : "r", randomText(random, 2));
      }
      byte[] content = randomBytes(random, random.nextInt(2000));
      boolean bodyAllowed = !method.equals("GET") && !method.equals("HEAD");
      Request.Builder request =
          new Request.Builder()
              .url(url.build())
              .method(
                  method,
                  bodyAllowed
                      ? RequestBody.create(content, MediaType.get("application/octet-stream"))
                      : null);
      if (random.nextBoolean()) {
        request.header(
            "X-" + random.nextInt(100), randomText(random, 30).replaceAll("[^ -~]", "_"));
      }
      String described = "OkHttp " + method + " " + url.build();
      try (Response response = okHttp.newCall(request.build()).execute()) {
        response.body().bytes();
        return new HttpFuzzer.Sent(described, OptionalInt.of(response.code()));
      } catch (IOException e) {
        return new HttpFuzzer.Sent(described, OptionalInt.empty());
      }
    }
  }

  // ---- helpers ----

  private static Map<String, Optional<Versioned>> snapshot(TestCluster cluster) {
    Map<String, Optional<Versioned>> records = new LinkedHashMap<>();
    for (NodeId id : cluster.liveNodes()) {
      for (int i = 0; i < SENTINELS; i++) {
        records.put(
            id.value() + "/" + sentinel(i), cluster.node(id).storage().get(Key.of(sentinel(i))));
      }
    }
    return records;
  }

  private static String sentinel(int i) {
    return "sentinel-" + i;
  }

  private static byte[] value(int i) {
    return ("value-" + i).getBytes(StandardCharsets.UTF_8);
  }
}
