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
 * with SIGTERM, and started again on the same port and data directory; more can join with {@link
 * #addNode()}. Extra node settings (for example {@code STORAGE=rocksdb}) apply to every node,
 * restarts and joiners included; extra seed settings to the seed.
 */
final class ProcessCluster implements AutoCloseable {
  static final String TOKEN = "process-test-token";

  private final Path work;
  private final Map<String, String> nodeSettings;
  private final int seedPort;
  private final List<Integer> nodePorts = new ArrayList<>();
  private final Process seed;
  private final List<Process> nodes = new ArrayList<>();
  private final HttpTestClient client = new HttpTestClient();
  private final ObjectMapper json = new ObjectMapper();

  private ProcessCluster(Path work, int nodeCount, Map<String, String> nodeSettings,
      Map<String, String> seedSettings) {
    this.work = work;
    this.nodeSettings = Map.copyOf(nodeSettings);
    this.seedPort = freePort();
    Map<String, String> seedEnv = new HashMap<>(Map.of("SEED_PORT", String.valueOf(seedPort),
        "SEED_BIND", "127.0.0.1", "CLUSTER_TOKEN", TOKEN));
    seedEnv.putAll(seedSettings);
    this.seed = start("seed", jar("seed"), seedEnv);
    for (int i = 0; i < nodeCount; i++) {
      addNode();
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
  static ProcessCluster start(int nodes, Map<String, String> nodeSettings,
      Map<String, String> seedSettings) throws IOException {
    Path work = Path.of("target", "process-cluster", String.valueOf(System.nanoTime()));
    Files.createDirectories(work);
    return new ProcessCluster(work, nodes, nodeSettings, seedSettings);
  }

  /** Starts one more node on a free port with its own data directory; returns its index. */
  int addNode() {
    nodePorts.add(freePort());
    nodes.add(null);
    startNode(nodes.size() - 1);
    return nodes.size() - 1;
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

  /** Waits, at most 60 s, until every node's ring lists {@code members} nodes. */
  void awaitAllSee(int members) {
    awaitSee(java.util.stream.IntStream.range(0, nodes.size()).boxed().toList(), members);
  }

  /** Waits, at most 60 s, until the ring of each node in {@code indexes} lists {@code members}. */
  void awaitSee(List<Integer> indexes, int members) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> {
          for (int i : indexes) {
            if (clusterView(i).get("members").size() != members) {
              return false;
            }
          }
          return true;
        });
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

  /** SIGSTOP: the node freezes mid-flight, its sockets open, as in a long GC pause or a VM stall. */
  void pause(int index) throws IOException, InterruptedException {
    signal(index, "STOP");
  }

  /** SIGCONT: a paused node carries on where it stopped. */
  void resume(int index) throws IOException, InterruptedException {
    signal(index, "CONT");
  }

  private void signal(int index, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(nodes.get(index).pid()))
        .inheritIO().start();
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
    Map<String, String> env = new HashMap<>();
    env.put("NODE_PORT", String.valueOf(nodePorts.get(index)));
    env.put("NODE_BIND", "127.0.0.1");
    env.put("ADVERTISE_ADDR", "127.0.0.1:" + nodePorts.get(index));
    env.put("SEED_URL", seedUrl());
    env.put("DATA_DIR", dataDir(index).toString());
    env.put("HEARTBEAT_INTERVAL", "500ms");
    env.put("CLUSTER_TOKEN", TOKEN);
    env.putAll(nodeSettings);
    nodes.set(index, start("node-" + index, jar("kv-node"), env));
  }

  private Process start(String name, Path jar, Map<String, String> env) {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(name + ".log").toFile()));
    builder.environment().putAll(env);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
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

  private static int freePort() {
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
    seed.destroyForcibly();
  }
}
