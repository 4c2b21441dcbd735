package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kv.common.Key;
import kv.common.NodeId;
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
 * Ten thousand random and malformed requests against one node of a three-node cluster, most as raw
 * bytes on a socket (odd methods, paths, versions, percent-encodings, headers, chunked bodies
 * valid and broken, truncated requests, garbage), some through OkHttp. No answer may be a 5xx, the
 * node must stay healthy, and the sentinel keys written first must be untouched: the fuzzer never
 * sends a well-formed write to them (its own keys start with {@code fz-}).
 *
 * <p>The seed is random per run and reported; rerun a failure with {@code -Dfuzz.seed=N}.
 */
@Timeout(120)
class FuzzTest {
  private static final Logger log = LoggerFactory.getLogger(FuzzTest.class);
  private static final int REQUESTS = 10_000;
  private static final int THREADS = 8;
  private static final int SENTINELS = 100;
  private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");
  private static final String[] METHODS = {"GET", "PUT", "DELETE", "POST", "HEAD", "OPTIONS",
      "PATCH", "TRACE", "CONNECT", "get", "PuT", "G3T", "", "X-CUSTOM", "GET GET", "PROPFIND"};
  private static final String[] PATHS = {"/put", "/get", "/delete", "/locate", "/cluster",
      "/health", "/metrics", "/internal/kv", "/internal/batch", "/", "//put", "/put/", "/get/x",
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/", "/%00", "*", "http://other/get", "/put;jsessionid=1", "/get%3Fkey=x",
      "/internal/kv/../../put", "/deregister", "/%zz", "/\u00e9", "/put\\x"};
  private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
      "HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTPS/1.1", "http/1.1", "", "HTTP/1.1 extra"};
  private static final String[] ENCODINGS = {"%", "%z", "%zz", "%4", "%C3%28", "%FF%FE", "%00",
      "%E2%82", "%ED%A0%80", "%F4%90%80%80", "+", "%2B", "%26", "%3D", "%25", "%C0%AF", "%7F"};
  private static final String[] TRANSFER_ENCODINGS = {"chunked", "gzip", "gzip, chunked",
      "chunked, gzip", "identity", "CHUNKED", "chunked;q=1", "x"};

  private final ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger unanswered = new AtomicInteger();

  @Test
  void tenThousandMalformedRequestsGetNo5xxAndChangeNoOtherKey(TestReporter reporter)
      throws Exception {
    long seed = Long.getLong("fuzz.seed", new Random().nextLong());
    reporter.publishEntry("fuzz.seed", String.valueOf(seed));
    log.info("Fuzzing with seed {} (rerun with -Dfuzz.seed={})", seed, seed);
    try (TestCluster cluster = TestCluster.start(3, config -> config.withLimits(
        HttpLimits.defaults().withIdleTimeout(Duration.ofSeconds(2))
            .withHeaderTimeout(Duration.ofSeconds(1))))) {
      NodeId target = cluster.id(1);
      int port = cluster.node(target).port();
      for (int i = 0; i < SENTINELS; i++) {
        assertThat(cluster.client().put(cluster.url(target), sentinel(i), value(i), "&w=all")
            .statusCode()).isEqualTo(204);
      }
      Map<String, Optional<Versioned>> before = snapshot(cluster);

      OkHttpClient okHttp = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10))
          .retryOnConnectionFailure(false).build();
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          Random random = new Random(seed + t);
          workers.add(pool.submit(() -> fuzz(random, port, okHttp, REQUESTS / THREADS)));
        }
        for (Future<?> worker : workers) {
          worker.get();
        }
      } finally {
        pool.shutdownNow();
        okHttp.dispatcher().executorService().shutdown();
        okHttp.connectionPool().evictAll();
      }

      String seedNote = "fuzz seed " + seed + " (rerun with -Dfuzz.seed=" + seed + ")";
      reporter.publishEntry("fuzz.answered", answered.get() + " answered, " + unanswered.get()
          + " closed without an answer");
      assertThat(serverErrors).as(seedNote).isEmpty();
      assertThat(answered.get()).as(seedNote).isGreaterThan(REQUESTS / 2);
      String metrics = new String(cluster.client()
          .send("GET", cluster.url(target), "/metrics", null).body(), StandardCharsets.UTF_8);
      assertThat(metrics).as(seedNote + ": 5xx recorded by the node").doesNotContainPattern(
          "http_server_requests_seconds_count\\{[^}]*status=\"5\\d\\d\"");
      for (NodeId id : cluster.liveNodes()) {
        assertThat(cluster.client().send("GET", cluster.url(id), "/health", null).statusCode())
            .as(seedNote).isEqualTo(200);
      }
      assertThat(snapshot(cluster)).as(seedNote + ": sentinel records").isEqualTo(before);
      for (int i = 0; i < SENTINELS; i++) {
        assertThat(cluster.client().get(cluster.url(cluster.id(2)), sentinel(i)).body())
            .as(seedNote).isEqualTo(value(i));
      }
    }
  }

  private void fuzz(Random random, int port, OkHttpClient okHttp, int count) {
    for (int i = 0; i < count; i++) {
      if (random.nextInt(10) == 0) {
        viaOkHttp(random, port, okHttp);
      } else {
        byte[] request = random.nextInt(20) == 0 ? garbage(random) : rawRequest(random);
        exchange(port, request, random.nextInt(8) != 0);
      }
    }
  }

  // ---- raw requests ----

  private byte[] rawRequest(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String method = pick(random, METHODS);
    String line = method + " " + path(random) + query(random) + " " + pick(random, VERSIONS);
    if (random.nextInt(30) == 0) {
      line = line.replace(' ', random.nextBoolean() ? '\t' : ' ') + "  ";
    }
    write(out, line + lineEnd(random));
    Map<String, String> headers = headers(random);
    byte[] body = body(random, headers);
    headers.forEach((name, value) -> write(out, name + ": " + value + lineEnd(random)));
    if (random.nextInt(25) == 0) {
      write(out, " folded continuation\r\n"); // obsolete line folding
    }
    if (random.nextInt(40) != 0) {
      write(out, "\r\n");
    }
    out.writeBytes(body);
    byte[] bytes = out.toByteArray();
    if (random.nextInt(12) == 0) { // truncated anywhere
      return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
    }
    return bytes;
  }

  private String path(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "/" + randomText(random, 1 + random.nextInt(30));
      case 1 -> "/" + "p".repeat(random.nextInt(3) == 0 ? 9000 : 300);
      default -> pick(random, PATHS);
    };
  }

  private String query(Random random) {
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
        case 3 -> q.append(random.nextBoolean() ? "w=" : "r=").append(pick(random,
            new String[] {"0", "1", "2", "3", "4", "-1", "all", "one", "quorum", "most", "",
                "99999999999", "1.5", "%31"}));
        case 4 -> q.append("key=fz-").append("k".repeat(1000 + random.nextInt(100)));
        default -> q.append("key=").append(fuzzKey(random));
      }
    }
    return q.toString();
  }

  /** A key that is always the fuzzer's own: {@code fz-} then anything, encoded or not. */
  private String fuzzKey(Random random) {
    StringBuilder key = new StringBuilder("fz-");
    int parts = random.nextInt(4);
    for (int i = 0; i < parts; i++) {
      key.append(switch (random.nextInt(4)) {
        case 0 -> pick(random, ENCODINGS);
        case 1 -> randomText(random, random.nextInt(10));
        case 2 -> "%F0%9F%98%80"; // an emoji, well-formed
        default -> String.valueOf(random.nextInt(50));
      });
    }
    return key.toString();
  }

  private Map<String, String> headers(Random random) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (random.nextInt(10) != 0) {
      headers.put("Host", random.nextInt(20) == 0 ? "" : "localhost");
    }
    int extra = random.nextInt(random.nextInt(30) == 0 ? 150 : 5);
    for (int i = 0; i < extra; i++) {
      switch (random.nextInt(14)) {
        case 0 -> headers.put("Host" + " ".repeat(i % 2), "second-host");
        case 1 -> headers.put("Content-Length", pick(random,
            new String[] {"-1", "abc", "99999999999999999999", "0x10", " 5", "5, 6", "1e3"}));
        case 2 -> headers.put("Transfer-Encoding", pick(random, TRANSFER_ENCODINGS));
        case 3 -> headers.put("Expect", random.nextBoolean() ? "100-continue" : "200-ok");
        case 4 -> headers.put("X-Kv-Version", randomText(random, 20));
        case 5 -> headers.put("X-Kv-Cluster-Token", randomText(random, 12));
        case 6 -> headers.put("X-Kv-Tombstone", "true");
        case 7 -> headers.put("Connection", pick(random,
            new String[] {"close", "keep-alive", "upgrade", "Upgrade, HTTP2-Settings", "junk"}));
        case 8 -> headers.put("Upgrade", pick(random, new String[] {"h2c", "websocket", "x"}));
        case 9 -> headers.put("X-Long-" + i, "v".repeat(random.nextInt(12_000)));
        case 10 -> headers.put(randomText(random, 1 + random.nextInt(10)), randomText(random, 10));
        case 11 -> headers.put("Content-Type", randomText(random, 15));
        case 12 -> headers.put("X-Dup-" + (i % 3), "value-" + i);
        default -> headers.put("Bad Header\u00ff" + i, "x\u0001y");
      }
    }
    return headers;
  }

  private byte[] body(Random random, Map<String, String> headers) {
    byte[] content = new byte[random.nextInt(4) == 0 ? random.nextInt(4096) : random.nextInt(40)];
    random.nextBytes(content);
    switch (random.nextInt(6)) {
      case 0 -> { // declared and sent
        headers.putIfAbsent("Content-Length", String.valueOf(content.length));
        return content;
      }
      case 1 -> { // declared longer than sent
        headers.putIfAbsent("Content-Length", String.valueOf(content.length + 1 + random.nextInt(99)));
        return content;
      }
      case 2 -> {
        headers.put("Transfer-Encoding", "chunked");
        return chunked(random, content, false);
      }
      case 3 -> {
        headers.put("Transfer-Encoding", "chunked");
        return chunked(random, content, true);
      }
      case 4 -> { // both: a request-smuggling shape
        headers.put("Content-Length", String.valueOf(content.length));
        headers.put("Transfer-Encoding", "chunked");
        return chunked(random, content, random.nextBoolean());
      }
      default -> {
        return random.nextBoolean() ? new byte[0] : content; // undeclared
      }
    }
  }

  private byte[] chunked(Random random, byte[] content, boolean broken) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < content.length) {
      int len = Math.min(content.length - at, 1 + random.nextInt(500));
      String size = Integer.toHexString(len);
      if (broken && random.nextInt(3) == 0) {
        size = pick(random, new String[] {"zz", "-1", "", "fffffffffffffffff", size + ";ext=\"x",
            Integer.toHexString(len + 7)});
      }
      write(out, size + "\r\n");
      out.write(content, at, len);
      write(out, broken && random.nextInt(3) == 0 ? "\n" : "\r\n");
      at += len;
    }
    if (!broken || random.nextBoolean()) {
      write(out, "0\r\n" + (random.nextInt(5) == 0 ? "Trailer: x\r\n" : "") + "\r\n");
    }
    return out.toByteArray();
  }

  private byte[] garbage(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      case 1 -> new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1};
      case 2 -> "\r\n\r\n\r\n".repeat(1 + random.nextInt(100)).getBytes(StandardCharsets.US_ASCII);
      default -> {
        byte[] bytes = new byte[1 + random.nextInt(2000)];
        random.nextBytes(bytes);
        yield bytes;
      }
    };
  }

  private void exchange(int port, byte[] request, boolean halfClose) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      try {
        socket.getOutputStream().write(request);
        if (halfClose) {
          socket.shutdownOutput(); // else the header or idle timeout has to end it
        }
      } catch (IOException serverClosedFirst) {
        // the server may answer and close before reading all of it
      }
      record(request, readAll(socket.getInputStream()));
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the node", e);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        bytes.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException | SocketException closedOrSlow) {
      // a reset, or a node still waiting for more: whatever arrived is judged
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  private void record(byte[] request, String answer) {
    Matcher status = STATUS.matcher(answer);
    boolean any = false;
    while (status.find()) {
      any = true;
      if (status.group(1).startsWith("5")) {
        serverErrors.add(status.group(1) + " for: " + printable(request));
      }
    }
    (any ? answered : unanswered).incrementAndGet();
  }

  // ---- well-formed but odd requests through OkHttp ----

  private void viaOkHttp(Random random, int port, OkHttpClient okHttp) {
    String method = pick(random, new String[] {"GET", "PUT", "DELETE", "POST", "PATCH", "OPTIONS",
        "HEAD", "FOO"});
    HttpUrl.Builder url = new HttpUrl.Builder().scheme("http").host("127.0.0.1").port(port)
        .addPathSegments(pick(random, new String[] {"put", "get", "delete", "locate", "cluster",
            "health", "internal/kv", "internal/batch", "nope", "put/x"}));
    if (random.nextInt(5) != 0) {
      url.addQueryParameter("key", "fz-" + randomUnicode(random, random.nextInt(40)));
    }
    if (random.nextInt(4) == 0) {
      url.addQueryParameter(random.nextBoolean() ? "w" : "r", randomText(random, 2));
    }
    byte[] content = new byte[random.nextInt(2000)];
    random.nextBytes(content);
    boolean bodyAllowed = !method.equals("GET") && !method.equals("HEAD");
    Request.Builder request = new Request.Builder().url(url.build()).method(method,
        bodyAllowed ? RequestBody.create(content, MediaType.get("application/octet-stream"))
            : null);
    if (random.nextBoolean()) {
      request.header("X-" + random.nextInt(100), randomText(random, 30).replaceAll("[^ -~]", "_"));
    }
    try (Response response = okHttp.newCall(request.build()).execute()) {
      response.body().bytes();
      answered.incrementAndGet();
      if (response.code() >= 500) {
        serverErrors.add(response.code() + " for OkHttp " + method + " " + url.build());
      }
    } catch (IOException e) {
      unanswered.incrementAndGet();
    }
  }

  // ---- helpers ----

  private static Map<String, Optional<Versioned>> snapshot(TestCluster cluster) {
    Map<String, Optional<Versioned>> records = new LinkedHashMap<>();
    for (NodeId id : cluster.liveNodes()) {
      for (int i = 0; i < SENTINELS; i++) {
        records.put(id.value() + "/" + sentinel(i),
            cluster.node(id).storage().get(Key.of(sentinel(i))));
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

  private static String pick(Random random, String[] options) {
    return options[random.nextInt(options.length)];
  }

  private static String lineEnd(Random random) {
    return random.nextInt(30) == 0 ? "\n" : "\r\n";
  }

  /** Printable ASCII and a few awkward characters; never spells a sentinel key. */
  private static String randomText(Random random, int length) {
    String alphabet = "abcxyz019-_.~!$&'()*+,;=:@/?#[] %\"<>\\^`{|}";
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }

  private static String randomUnicode(Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int cp = random.nextInt(4) == 0 ? 0x1F600 + random.nextInt(50) : 0x20 + random.nextInt(0x2000);
      if (Character.isSurrogate((char) cp)) {
        cp = 'x';
      }
      text.appendCodePoint(cp);
    }
    return text.toString();
  }

  private static String printable(byte[] request) {
    String text = new String(request, 0, Math.min(request.length, 300), StandardCharsets.ISO_8859_1);
    return text.replace("\r", "\\r").replace("\n", "\\n");
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }
}
