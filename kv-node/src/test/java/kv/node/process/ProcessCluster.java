package kv.node.process;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kv.node.harness.HttpTestClient;

/**
 * The real jars as separate JVMs on 127.0.0.1: a seed and N nodes, each with its own data
 * directory, logs in {@code target/process-cluster/}. Nodes can be killed with SIGKILL, stopped
 * with SIGTERM, and started again on the same port and data directory. Extra node settings (for
 * example {@code STORAGE=rocksdb}) apply to every node, restarts included.
 */
final class ProcessCluster implements AutoCloseable {
  static final String TOKEN = "process-test-token";

  private final Path work;
  private final Map<String, String> nodeSettings;
  private final Map<String, String> seedSettings;
  private final int seedPort;
  private final List<Integer> nodePorts = new ArrayList<>();
  private Process seed;
  private final List<Process> nodes = new ArrayList<>();
  private final HttpTestClient client = new HttpTestClient();
  private final ObjectMapper json = new ObjectMapper();

  private ProcessCluster(
      Path work,
      int nodeCount,
      Map<String, String> nodeSettings,
      Map<String, String> seedSettings,
      boolean startNodes) {
    this.work = work;
    this.nodeSettings = Map.copyOf(nodeSettings);
    this.seedSettings = Map.copyOf(seedSettings);
    this.seedPort = freePort();
    startSeed();
    for (int i = 0; i < nodeCount; i++) {
      nodePorts.add(freePort());
      nodes.add(null);
      if (startNodes) {
        startNode(i);
      }
    }
  }

  static ProcessCluster start(int nodes) throws IOException {
    return start(nodes, Map.of());
  }

  /** Nodes started with {@code nodeSettings} added to (or overriding) their usual environment. */
  static ProcessCluster start(int nodes, Map<String, String> nodeSettings) throws IOException {
    return start(nodes, nodeSettings, Map.of());
  }

  /** As {@link #start(int, Map)}, with {@code seedSettings} added to the seed's environment. */
  static ProcessCluster start(
      int nodes, Map<String, String> nodeSettings, Map<String, String> seedSettings)
      throws IOException {
    return new ProcessCluster(workDir(), nodes, nodeSettings, seedSettings, true);
  }

  /** Starts one more node on a free port with its own data directory; returns its index. */
  int addNode() {
    nodePorts.add(freePort());
    nodes.add(null);
    startNode(nodes.size() - 1);
    return nodes.size() - 1;
  }

  /**
   * The seed alone, with room for {@code nodes} nodes that {@link #startNode} starts one by one.
   */
  static ProcessCluster seedOnly(int nodes, Map<String, String> nodeSettings) throws IOException {
    return new ProcessCluster(workDir(), nodes, nodeSettings, Map.of(), false);
  }

  private static Path workDir() throws IOException {
    Path work = Path.of("target", "process-cluster", String.valueOf(System.nanoTime()));
    Files.createDirectories(work);
    return work;
  }

  /** Starts the seed on its port: a new process, which knows no member until they register. */
  void startSeed() {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "SEED_PORT",
                String.valueOf(seedPort),
                "SEED_BIND",
                "127.0.0.1",
                "CLUSTER_TOKEN",
                TOKEN));
    env.putAll(seedSettings);
    seed = start("seed", "seed", env);
  }

  /** SIGKILL to the seed. */
  void killSeed() throws InterruptedException {
    seed.destroyForcibly();
    seed.waitFor();
  }

  String seedUrl() {
    return "http://127.0.0.1:" + seedPort;
  }

  String nodeUrl(int index) {
    return "http://127.0.0.1:" + nodePorts.get(index);
  }

  Path dataDir(int index) {
    return work.resolve("node-" + index).toAbsolutePath();
  }

  /** Node {@code index}'s {@code GET /cluster} answer. */
  JsonNode clusterView(int index) {
    return read(client.send("GET", nodeUrl(index), "/cluster", null).body());
  }

  /** The seed's {@code GET /members} answer. */
  JsonNode members() {
    return read(client.send("GET", seedUrl(), "/members", null).body());
  }

  String selfId(int index) {
    return clusterView(index).get("self").asText();
  }

  /** Waits, at most 60 s, until every running node's ring lists {@code members} nodes. */
  void awaitAllSee(int members) {
    awaitSee(
        java.util.stream.IntStream.range(0, nodes.size()).filter(this::isRunning).boxed().toList(),
        members);
  }

  /** Waits, at most 60 s, until the ring of each node in {@code indexes} lists {@code members}. */
  void awaitSee(List<Integer> indexes, int members) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              for (int i : indexes) {
                if (clusterView(i).get("members").size() != members) {
                  return false;
                }
              }
              return true;
            });
  }

  boolean isRunning(int index) {
    return nodes.get(index) != null && nodes.get(index).isAlive();
  }

  /** Every key node {@code index} holds a record of (a whole-ring {@code GET /internal/range}). */
  java.util.Set<String> keysOn(int index) {
    kv.node.ring.TokenRange ring = kv.node.ring.TokenRange.fullRing();
    java.util.Set<String> keys = new java.util.HashSet<>();
    long start = ring.start();
    while (true) { // one page of at most 256 KiB at a time, as the node answers
      var page =
          client.send(
              HttpTestClient.request(
                      nodeUrl(index), "/internal/range?start=" + start + "&end=" + ring.end())
                  .header(kv.common.ClusterToken.HEADER, TOKEN)
                  .GET()
                  .build());
      kv.node.protocol.RecordCodec.decode(page.body()).forEach(r -> keys.add(r.key().value()));
      var resume = page.headers().firstValue(kv.node.protocol.SyncProtocol.RESUME_AFTER);
      if (resume.isEmpty()) {
        return keys;
      }
      start = Long.parseLong(resume.get());
    }
  }

  /** The record node {@code index} holds for {@code key} ({@code GET /internal/kv}): its status. */
  int internalStatus(int index, String key) {
    return client
        .send(
            HttpTestClient.request(nodeUrl(index), "/internal/kv?key=" + HttpTestClient.encode(key))
                .header(kv.common.ClusterToken.HEADER, TOKEN)
                .GET()
                .build())
        .statusCode();
  }

  private JsonNode read(byte[] body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int size() {
    return nodes.size();
  }

  void kill(int index) throws InterruptedException {
    nodes.get(index).destroyForcibly(); // SIGKILL: no shutdown hook runs
    nodes.get(index).waitFor();
  }

  /**
   * SIGSTOP: the node freezes mid-flight, its sockets open, as in a long GC pause or a VM stall.
   */
  void pause(int index) throws IOException, InterruptedException {
    signal(index, "STOP");
  }

  /** SIGCONT: a paused node carries on where it stopped. */
  void resume(int index) throws IOException, InterruptedException {
    signal(index, "CONT");
  }

  private void signal(int index, String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(nodes.get(index).pid()))
            .inheritIO()
            .start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + signal + " failed for node " + index);
    }
  }

  /** SIGTERM, as {@code docker stop} sends: the node's shutdown hook runs. */
  Process terminate(int index) {
    nodes.get(index).destroy(); // SIGTERM on Linux and macOS
    return nodes.get(index);
  }

  Path log(int index) {
    return work.resolve("node-" + index + ".log");
  }

  void startNode(int index) {
    startNode(index, Map.of());
  }

  /** Starts node {@code index} with {@code extra} on top of the cluster's node settings. */
  void startNode(int index, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_PORT", String.valueOf(nodePorts.get(index)));
    env.put("NODE_BIND", "127.0.0.1");
    env.put("ADVERTISE_ADDR", "127.0.0.1:" + nodePorts.get(index));
    env.put("SEED_URL", seedUrl());
    env.put("DATA_DIR", dataDir(index).toString());
    env.put("HEARTBEAT_INTERVAL", "500ms");
    env.put("CLUSTER_TOKEN", TOKEN);
    env.putAll(nodeSettings);
    env.putAll(extra);
    nodes.set(index, start("node-" + index, "kv-node", env));
  }

  private Process start(String name, String module, Map<String, String> env) {
    return launch(module, env, work.resolve(name + ".log"));
  }

  /**
   * Starts {@code module}'s jar ({@code seed} or {@code kv-node}) with {@code env} on top of this
   * JVM's environment, from which any cluster secret is removed first; output goes to {@code log}.
   */
  static Process launch(String module, Map<String, String> env, Path log) {
    List<String> command =
        new ArrayList<>(
            List.of(
                javaBinary(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar(module).toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder
        .environment()
        .keySet()
        .removeAll(List.of("CLUSTER_TOKEN", "CLUSTER_TOKEN_FILE", "ALLOW_OPEN_CLUSTER"));
    builder.environment().putAll(env);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + module, e);
    }
  }

  private static Path jar(String module) {
    Path jar = Path.of("..", module, "target", module + ".jar").toAbsolutePath().normalize();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn package (mvn verify does)");
    }
    return jar;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (Process node : nodes) {
      if (node != null) {
        node.destroyForcibly();
      }
    }
    if (seed != null) {
      seed.destroyForcibly();
    }
  }
}
