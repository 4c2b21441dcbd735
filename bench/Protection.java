import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load of bench/protection.sh (issue 14 item 4), run with the JDK's source launcher:
 *
 * <pre>
 *   java bench/Protection.java SEED_URL NODE1_URL NODE2_URL SEED_PID NODE1_PID TOKEN SECONDS CLIENTS
 *       [ATTACKS]
 * </pre>
 *
 * Four attacks, one after the other, each for SECONDS: CLIENTS clients sending 1 MiB bodies as
 * fast as they are answered (waiting the second a 503's Retry-After asks for), and CLIENTS
 * connections sending bodies at 1 byte/s (each reconnects once answered), against node 1
 * ({@code PUT /put}) and against the seed ({@code POST /register}, without the token: a
 * stranger). Meanwhile another client GETs from the attacked service every 20 ms ({@code /get} on
 * node 1, {@code /members} on the seed), the attacked process's RSS is sampled every 250 ms, and
 * the seed's member list every 500 ms. Prints one table row per attack. ATTACKS picks some of them:
 * a comma-separated subset of node-big, node-slow, seed-big, seed-slow (all four by default).
 */
public final class Protection {
  private static final int BIG = 1 << 20;
  private static final int SLOW_LENGTH = 1024;
  private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.[01] (\\d{3})");

  private final URI seed;
  private final URI node;
  private final long seedPid;
  private final long nodePid;
  private final String token;
  private final Duration duration;
  private final int clients;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newCachedThreadPool()).build();

  private Protection(String[] args) {
    this.seed = URI.create(args[0]);
    this.node = URI.create(args[1]);
    this.seedPid = Long.parseLong(args[3]);
    this.nodePid = Long.parseLong(args[4]);
    this.token = args[5];
    this.duration = Duration.ofSeconds(Long.parseLong(args[6]));
    this.clients = Integer.parseInt(args[7]);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 8 || args.length > 9) {
      System.err.println("usage: java bench/Protection.java SEED_URL NODE1_URL NODE2_URL SEED_PID "
          + "NODE1_PID TOKEN SECONDS CLIENTS [ATTACKS]");
      System.exit(2);
    }
    Protection bench = new Protection(args);
    bench.seedProbeKey(URI.create(args[2]));
    List<String> chosen = List.of((args.length == 9 && !args[8].isBlank() ? args[8]
        : "node-big,node-slow,seed-big,seed-slow").split(","));
    URI nodeProbe = bench.node.resolve("/get?key=probe");
    URI seedProbe = bench.seed.resolve("/members");
    String n = bench.clients + " x ";
    List<Row> rows = new ArrayList<>();
    for (String attack : chosen) {
      rows.add(switch (attack) {
        case "node-big" -> bench.attack("node: " + n + "1 MiB PUT", bench.nodePid, nodeProbe,
            () -> bench.bigBodies(bench.node, "PUT", "/put?key=big-", true));
        case "node-slow" -> bench.attack("node: " + n + "PUT at 1 byte/s", bench.nodePid,
            nodeProbe, () -> bench.slowBodies(bench.node, "PUT /put?key=slow"));
        case "seed-big" -> bench.attack("seed: " + n + "1 MiB /register", bench.seedPid,
            seedProbe, () -> bench.bigBodies(bench.seed, "POST", "/register?n=", false));
        case "seed-slow" -> bench.attack("seed: " + n + "/register at 1 byte/s", bench.seedPid,
            seedProbe, () -> bench.slowBodies(bench.seed, "POST /register"));
        default -> throw new IllegalArgumentException("unknown attack: " + attack);
      });
    }
    System.out.println(Row.HEADER);
    rows.forEach(row -> System.out.println(row.format()));
    System.exit(0);
  }

  /** The value the probe reads, written through another node. */
  private void seedProbeKey(URI other) throws Exception {
    HttpResponse<Void> put = http.send(HttpRequest.newBuilder(other.resolve("/put?key=probe"))
        .PUT(HttpRequest.BodyPublishers.ofString("probe")).build(), HttpResponse.BodyHandlers.discarding());
    if (put.statusCode() != 204) {
      throw new IllegalStateException("cannot write the probe key: " + put.statusCode());
    }
  }

  /** What the attacking clients were answered: status code (or failure) -> count. */
  private interface Attack {
    Map<String, Long> run() throws Exception;
  }

  private Row attack(String name, long pid, URI probe, Attack attack) throws Exception {
    Monitor monitor = new Monitor(pid, probe);
    long started = System.nanoTime();
    long targetCpu = cpuTicks(pid);
    long ownCpu = cpuTicks(ProcessHandle.current().pid());
    monitor.start();
    Map<String, Long> answers = attack.run();
    monitor.stop();
    double seconds = (System.nanoTime() - started) / 1e9;
    return new Row(name, answers, monitor.latencies(), monitor.probeFailures.get(),
        monitor.maxRssKib.get(), monitor.minMembers.get(),
        percentOfACore(cpuTicks(pid) - targetCpu, seconds),
        percentOfACore(cpuTicks(ProcessHandle.current().pid()) - ownCpu, seconds));
  }

  /**
   * User plus system time of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat); a
   * process that is gone counts as none, and its row shows the attack was not survived.
   */
  private static long cpuTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException gone) {
      return 0;
    }
  }

  private static double percentOfACore(long ticks, double seconds) {
    return ticks / 100.0 / seconds * 100; // USER_HZ is 100 on Linux
  }

  /**
   * {@code clients} threads, each sending 1 MiB bodies one after the other, one connection each,
   * until the time is up. Each request asks {@code Expect: 100-continue} first, as curl does for a
   * large body, so a refusal costs no upload; the JDK's HttpClient is not used here because its
   * 100-continue support left requests hanging past their timeout in this test.
   */
  private Map<String, Long> bigBodies(URI target, String method, String pathPrefix,
      boolean withToken) throws InterruptedException {
    Map<String, Long> answers = new ConcurrentHashMap<>();
    byte[] body = new byte[BIG];
    long end = System.nanoTime() + duration.toNanos();
    AtomicInteger sequence = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Thread thread = new Thread(() -> {
        while (System.nanoTime() < end) {
          String head = method + " " + pathPrefix + (sequence.incrementAndGet() % 64)
              + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\n"
              + (withToken ? "X-Kv-Cluster-Token: " + token + "\r\n" : "")
              + "Content-Length: " + BIG + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
          String status = bigRequest(target, head, body);
          answers.merge(status, 1L, Long::sum);
          if (status.equals("503")) {
            pause(Duration.ofSeconds(1)); // Retry-After: 1, as a well-behaved client waits
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return answers;
  }

  private static void pause(Duration time) {
    try {
      Thread.sleep(time.toMillis()); // the client's own back-off, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String bigRequest(URI target, String head, byte[] body) {
    try (Socket socket = new Socket(target.getHost(), target.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = status(readHead(in));
      if (status.equals("100")) {
        out.write(body);
        out.flush();
        status = status(readHead(in));
      }
      return status;
    } catch (java.net.SocketTimeoutException e) {
      return "no answer in 30 s";
    } catch (IOException e) {
      return "error: " + e.getClass().getSimpleName();
    }
  }

  /** The status line and headers of the next response, or what arrived before the end. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    for (int b; (b = in.read()) >= 0; ) {
      head.append((char) b);
      if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
        break;
      }
    }
    return head.toString();
  }

  private static String status(String head) {
    Matcher status = STATUS.matcher(head);
    return status.find() ? status.group(1) : head.isEmpty() ? "no answer" : "garbled";
  }

  /**
   * {@code clients} connections, each sending a request line and headers declaring a 1 KiB body,
   * then one byte a second, and reading the answer; answered, it connects again, until the time
   * is up. Requests still open then get another 20 s to be answered.
   */
  private Map<String, Long> slowBodies(URI target, String requestLine)
      throws InterruptedException {
    Map<String, Long> answers = new ConcurrentHashMap<>();
    long end = System.nanoTime() + duration.toNanos();
    long giveUp = end + Duration.ofSeconds(20).toNanos();
    AtomicInteger sequence = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Thread thread = new Thread(() -> {
        while (System.nanoTime() < end) {
          String head = requestLine + sequence.incrementAndGet() + " HTTP/1.1\r\nHost: bench\r\n"
              + "Content-Type: application/json\r\nContent-Length: " + SLOW_LENGTH + "\r\n\r\n";
          answers.merge(slowRequest(target, head, giveUp), 1L, Long::sum);
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return answers;
  }

  private static String slowRequest(URI target, String head, long giveUp) {
    try (Socket socket = new Socket(target.getHost(), target.getPort())) {
      socket.setSoTimeout(1000); // a read that times out is the second between two bytes
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      StringBuilder answer = new StringBuilder();
      byte[] buffer = new byte[4096];
      for (int sent = 0; System.nanoTime() < giveUp; ) {
        if (sent < SLOW_LENGTH) {
          try {
            out.write('x');
            out.flush();
            sent++;
          } catch (IOException closed) {
            // answered and closed while sending: read the answer below
          }
        }
        try {
          int n = in.read(buffer);
          if (n < 0) {
            break;
          }
          answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
          if (answer.indexOf("\r\n\r\n") >= 0) {
            break; // the status line and headers are enough
          }
        } catch (java.net.SocketTimeoutException second) {
          // nothing yet: the next byte
        }
      }
      return status(answer.toString());
    } catch (IOException e) {
      return "error: " + e.getClass().getSimpleName();
    }
  }

  /** Probe GETs, RSS and the seed's member count while an attack runs. */
  private final class Monitor {
    private final long pid;
    private final URI probe;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(3);
    private final List<Long> latencyMicros = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong probeFailures = new AtomicLong();
    private final AtomicLong maxRssKib = new AtomicLong();
    private final AtomicInteger minMembers = new AtomicInteger(Integer.MAX_VALUE);
    private final HttpClient probeClient = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5)).build();

    Monitor(long pid, URI probe) {
      this.pid = pid;
      this.probe = probe;
    }

    void start() {
      timer.scheduleWithFixedDelay(this::probeOnce, 0, 20, TimeUnit.MILLISECONDS);
      timer.scheduleWithFixedDelay(this::sampleRss, 0, 250, TimeUnit.MILLISECONDS);
      timer.scheduleWithFixedDelay(this::countMembers, 0, 500, TimeUnit.MILLISECONDS);
    }

    void stop() throws InterruptedException {
      timer.shutdown();
      timer.awaitTermination(30, TimeUnit.SECONDS);
    }

    List<Long> latencies() {
      List<Long> sorted = new ArrayList<>(latencyMicros);
      Collections.sort(sorted);
      return sorted;
    }

    private void probeOnce() {
      long start = System.nanoTime();
      try {
        HttpResponse<Void> got = probeClient.send(HttpRequest.newBuilder(probe)
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding());
        latencyMicros.add((System.nanoTime() - start) / 1000);
        if (got.statusCode() != 200) {
          probeFailures.incrementAndGet();
        }
      } catch (IOException | InterruptedException e) {
        latencyMicros.add((System.nanoTime() - start) / 1000);
        probeFailures.incrementAndGet();
      }
    }

    private void sampleRss() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
            maxRssKib.accumulateAndGet(kib, Math::max);
          }
        }
      } catch (IOException e) {
        maxRssKib.set(-1); // the process is gone
      }
    }

    private void countMembers() {
      try {
        String body = probeClient.send(HttpRequest.newBuilder(seed.resolve("/members"))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        int members = body.split("\"id\"", -1).length - 1;
        minMembers.accumulateAndGet(members, Math::min);
      } catch (IOException | InterruptedException e) {
        minMembers.set(-1); // the seed did not answer within 5 s
      }
    }
  }

  private record Row(String name, Map<String, Long> answers, List<Long> latencies,
      long probeFailures, long maxRssKib, int minMembers, double targetCpu, double benchCpu) {
    static final String HEADER = String.format("%-36s %8s  %-30s %7s %8s %8s %8s %8s %8s %7s %7s",
        "attack", "requests", "answers", "probes", "p50 ms", "p99 ms", "max ms", "RSS MiB",
        "members", "CPU %", "bench %");

    String format() {
      long total = answers.values().stream().mapToLong(Long::longValue).sum();
      StringBuilder counts = new StringBuilder();
      new TreeMap<>(answers).forEach((k, v) -> counts.append(counts.length() == 0 ? "" : ", ")
          .append(k).append(": ").append(v));
      return String.format("%-36s %8d  %-30s %7s %8.1f %8.1f %8.1f %8d %8s %7.0f %7.0f", name,
          total, counts,
          latencies.size() + (probeFailures == 0 ? "" : " (" + probeFailures + " failed)"),
          percentile(0.50), percentile(0.99), percentile(1.0), maxRssKib / 1024,
          minMembers == Integer.MAX_VALUE ? "?" : minMembers + " min", targetCpu, benchCpu);
    }

    private double percentile(double p) {
      if (latencies.isEmpty()) {
        return Double.NaN;
      }
      int index = (int) Math.min(latencies.size() - 1, Math.ceil(p * latencies.size()) - 1);
      return latencies.get(Math.max(0, index)) / 1000.0;
    }
  }
}
