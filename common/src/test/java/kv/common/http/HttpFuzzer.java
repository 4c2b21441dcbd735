package kv.common.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Random and malformed HTTP requests against one server, shared by the nodes' and the seed's fuzz
 * tests. Most go as raw bytes on a socket (odd methods, paths, versions, headers, bodies declared
 * longer than sent, chunked bodies valid and broken, requests truncated anywhere, garbage); one in
 * ten is a well-formed but odd request through a real client. What a service's requests look like
 * (its paths, query strings, body content, headers and client) is its {@link Dialect}; the rest is
 * common. Every answer's status is recorded, so a test can require zero 5xx.
 */
public final class HttpFuzzer {
  private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");
  private static final String[] METHODS = {
    "GET",
    "PUT",
    "DELETE",
    "POST",
    "HEAD",
    "OPTIONS",
    "PATCH",
    "TRACE",
    "CONNECT",
    "get",
    "PuT",
    "G3T",
    "",
    "X-CUSTOM",
    "GET GET",
    "PROPFIND"
  };
  private static final String[] COMMON_PATHS = {
    "/",
    "/health",
    "/metrics",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/",
    "/%00",
    "*",
    "http://other/get",
    "/%zz",
    "/\u00e9",
    "/put\\x"
  };
  private static final String[] VERSIONS = {
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/2.0",
    "HTTP/0.9",
    "HTTP/1.2",
    "HTTPS/1.1",
    "http/1.1",
    "",
    "HTTP/1.1 extra"
  };

  /** Percent-encodings valid and broken, for query strings. */
  public static final String[] ENCODINGS = {
    "%",
    "%z",
    "%zz",
    "%4",
    "%C3%28",
    "%FF%FE",
    "%00",
    "%E2%82",
    "%ED%A0%80",
    "%F4%90%80%80",
    "+",
    "%2B",
    "%26",
    "%3D",
    "%25",
    "%C0%AF",
    "%7F"
  };

  private static final String[] TRANSFER_ENCODINGS = {
    "chunked", "gzip", "gzip, chunked", "chunked, gzip", "identity", "CHUNKED", "chunked;q=1", "x"
  };

  /** What one service's requests look like. */
  public interface Dialect {
    /** The service's paths (besides the common and random ones), e.g. {@code "/put"}. */
    String[] paths();

    /** A query string ({@code ""} or starting with {@code '?'}). */
    String query(Random random);

    /** Body bytes before framing (declared, chunked, cut short, ...). */
    byte[] content(Random random);

    /** Headers the service reads (a token, a version), sent before the random ones. */
    Map<String, String> headers(Random random);

    /** Sends one well-formed but odd request through a real client. */
    Sent wellFormed(Random random, int port);
  }

  /** A request sent through a client, and its status (empty when no answer came). */
  public record Sent(String request, OptionalInt status) {}

  /** What the server answered: each 5xx with the request that caused it. */
  public record Report(List<String> serverErrors, int answered, int unanswered) {}

  private final Dialect dialect;
  private final ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger unanswered = new AtomicInteger();

  private HttpFuzzer(Dialect dialect) {
    this.dialect = dialect;
  }

  /** Sends {@code requests} requests to {@code port} from {@code threads} threads. */
  public static Report run(Dialect dialect, int port, long seed, int requests, int threads)
      throws InterruptedException, ExecutionException {
    HttpFuzzer fuzzer = new HttpFuzzer(dialect);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random random = new Random(seed + t);
        workers.add(pool.submit(() -> fuzzer.fuzz(random, port, requests / threads)));
      }
      for (Future<?> worker : workers) {
        worker.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return new Report(
        List.copyOf(fuzzer.serverErrors), fuzzer.answered.get(), fuzzer.unanswered.get());
  }

  private void fuzz(Random random, int port, int count) {
    for (int i = 0; i < count; i++) {
      if (random.nextInt(10) == 0) {
        Sent sent = dialect.wellFormed(random, port);
        OptionalInt status = sent.status();
        (status.isPresent() ? answered : unanswered).incrementAndGet();
        if (status.isPresent() && status.getAsInt() >= 500) {
          serverErrors.add(status.getAsInt() + " for " + sent.request());
        }
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
    String line =
        method + " " + path(random) + dialect.query(random) + " " + pick(random, VERSIONS);
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
      return Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
    }
    return bytes;
  }

  private String path(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "/" + randomText(random, 1 + random.nextInt(30));
      case 1 -> "/" + "p".repeat(random.nextInt(3) == 0 ? 9000 : 300);
      case 2 -> pick(random, COMMON_PATHS);
      default -> pick(random, dialect.paths());
    };
  }

  private Map<String, String> headers(Random random) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (random.nextInt(10) != 0) {
      headers.put("Host", random.nextInt(20) == 0 ? "" : "localhost");
    }
    headers.putAll(dialect.headers(random));
    int extra = random.nextInt(random.nextInt(30) == 0 ? 150 : 5);
    for (int i = 0; i < extra; i++) {
      switch (random.nextInt(12)) {
        case 0 -> headers.put("Host" + " ".repeat(i % 2), "second-host");
        case 1 ->
            headers.put(
                "Content-Length",
                pick(
                    random,
                    new String[] {
                      "-1", "abc", "99999999999999999999", "0x10", " 5", "5, 6", "1e3"
                    }));
        case 2 -> headers.put("Transfer-Encoding", pick(random, TRANSFER_ENCODINGS));
        case 3 -> headers.put("Expect", random.nextBoolean() ? "100-continue" : "200-ok");
        case 4 -> headers.put("X-Kv-Cluster-Token", randomText(random, 12));
        case 5 ->
            headers.put(
                "Connection",
                pick(
                    random,
                    new String[] {
                      "close", "keep-alive", "upgrade", "Upgrade, HTTP2-Settings", "junk"
                    }));
        case 6 -> headers.put("Upgrade", pick(random, new String[] {"h2c", "websocket", "x"}));
        case 7 -> headers.put("X-Long-" + i, "v".repeat(random.nextInt(12_000)));
        case 8 -> headers.put(randomText(random, 1 + random.nextInt(10)), randomText(random, 10));
        case 9 -> headers.put("Content-Type", randomText(random, 15));
        case 10 -> headers.put("X-Dup-" + (i % 3), "value-" + i);
        default -> headers.put("Bad Header\u00ff" + i, "x\u0001y");
      }
    }
    return headers;
  }

  private byte[] body(Random random, Map<String, String> headers) {
    byte[] content = dialect.content(random);
    switch (random.nextInt(6)) {
      case 0 -> { // declared and sent
        headers.putIfAbsent("Content-Length", String.valueOf(content.length));
        return content;
      }
      case 1 -> { // declared longer than sent
        headers.putIfAbsent(
            "Content-Length", String.valueOf(content.length + 1 + random.nextInt(99)));
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
        size =
            pick(
                random,
                new String[] {
                  "zz",
                  "-1",
                  "",
                  "fffffffffffffffff",
                  size + ";ext=\"x",
                  Integer.toHexString(len + 7)
                });
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

  private static byte[] garbage(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      case 1 -> new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1};
      case 2 -> "\r\n\r\n\r\n".repeat(1 + random.nextInt(100)).getBytes(StandardCharsets.US_ASCII);
      default -> randomBytes(random, 1 + random.nextInt(2000));
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
      throw new IllegalStateException("cannot reach the server", e);
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
      // a reset, or a server still waiting for more: whatever arrived is judged
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

  // ---- helpers for dialects ----

  public static String pick(Random random, String[] options) {
    return options[random.nextInt(options.length)];
  }

  /** Printable ASCII and a few awkward characters; never spells a sentinel name. */
  public static String randomText(Random random, int length) {
    String alphabet = "abcxyz019-_.~!$&'()*+,;=:@/?#[] %\"<>\\^`{|}";
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      text.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return text.toString();
  }

  /** Characters from all over the Basic Multilingual Plane and some emoji (no lone surrogates). */
  public static String randomUnicode(Random random, int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int cp =
          random.nextInt(4) == 0 ? 0x1F600 + random.nextInt(50) : 0x20 + random.nextInt(0x2000);
      if (Character.isSurrogate((char) cp)) {
        cp = 'x';
      }
      text.appendCodePoint(cp);
    }
    return text.toString();
  }

  public static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static String lineEnd(Random random) {
    return random.nextInt(30) == 0 ? "\n" : "\r\n";
  }

  private static String printable(byte[] request) {
    String text =
        new String(request, 0, Math.min(request.length, 300), StandardCharsets.ISO_8859_1);
    return text.replace("\r", "\\r").replace("\n", "\\n");
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }
}
