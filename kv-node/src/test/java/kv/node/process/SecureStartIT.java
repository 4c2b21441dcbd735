package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kv.node.harness.HttpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14, secure unless told otherwise, with the real jars: without a cluster secret neither the
 * seed nor a node starts; with {@code ALLOW_OPEN_CLUSTER=true} both start open and warn; a token
 * read from {@code CLUSTER_TOKEN_FILE} works, and a node with another cluster's token is refused
 * and says so.
 */
@Timeout(120)
class SecureStartIT {
  private static final Duration START = Duration.ofSeconds(60);
  private final HttpTestClient client = new HttpTestClient();
  private final List<Process> started = new ArrayList<>();
  private Path work;

  @BeforeEach
  void workDirectory() throws IOException {
    work =
        Files.createDirectories(
            Path.of("target", "process-cluster", "secure-" + System.nanoTime()));
  }

  @AfterEach
  void stopAll() {
    started.forEach(Process::destroyForcibly);
  }

  @Test
  void withoutASecretNeitherTheSeedNorANodeStarts() throws Exception {
    for (String module : List.of("seed", "kv-node")) {
      Map<String, String> blank = new HashMap<>(ports(module));
      blank.put("CLUSTER_TOKEN", "   ");
      for (Map<String, String> env : List.of(ports(module), blank)) {
        Path log =
            work.resolve(module + (env.containsKey("CLUSTER_TOKEN") ? "-blank" : "-none") + ".log");
        Process process = launch(module, env, log);
        assertThat(process.waitFor(START.toSeconds(), TimeUnit.SECONDS))
            .as("%s with %s exits", module, env)
            .isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log))
            .contains("Invalid configuration: ")
            .contains(
                env.containsKey("CLUSTER_TOKEN")
                    ? "CLUSTER_TOKEN is blank"
                    : "no cluster secret: set CLUSTER_TOKEN or CLUSTER_TOKEN_FILE");
      }
    }
  }

  @Test
  void withTheInsecureSwitchBothStartOpenAndWarn() throws Exception {
    Map<String, String> seedEnv = new HashMap<>(ports("seed"));
    seedEnv.put("ALLOW_OPEN_CLUSTER", "true");
    launch("seed", seedEnv, work.resolve("seed.log"));
    Map<String, String> nodeEnv = nodeEnv(seedEnv.get("SEED_PORT"));
    nodeEnv.put("ALLOW_OPEN_CLUSTER", "true");
    launch("kv-node", nodeEnv, work.resolve("node.log"));

    awaitMembers(seedEnv.get("SEED_PORT"), 1);
    for (String name : List.of("seed.log", "node.log")) {
      assertThat(Files.readString(work.resolve(name)))
          .contains("WARN")
          .contains("ALLOW_OPEN_CLUSTER=true and no cluster token");
    }
  }

  @Test
  void aTokenFileWorksAndANodeWithAnotherTokenIsRefusedAndSaysSo() throws Exception {
    Path token = Files.writeString(work.resolve("cluster-token"), "file-token-123\n");
    Map<String, String> seedEnv = new HashMap<>(ports("seed"));
    seedEnv.put("CLUSTER_TOKEN_FILE", token.toAbsolutePath().toString());
    launch("seed", seedEnv, work.resolve("seed.log"));
    Map<String, String> member = nodeEnv(seedEnv.get("SEED_PORT"));
    member.put("CLUSTER_TOKEN", "file-token-123");
    launch("kv-node", member, work.resolve("member.log"));
    Map<String, String> stranger = nodeEnv(seedEnv.get("SEED_PORT"));
    stranger.put("CLUSTER_TOKEN", "another-clusters-token");
    launch("kv-node", stranger, work.resolve("stranger.log"));

    awaitMembers(seedEnv.get("SEED_PORT"), 1);
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                Files.readString(work.resolve("stranger.log"))
                    .contains("refuses this node's cluster token"));
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                Files.readString(work.resolve("seed.log"))
                    .contains("Refused /register from 127.0.0.1: 401"));
    assertThat(members(seedEnv.get("SEED_PORT")))
        .contains(member.get("NODE_PORT"))
        .doesNotContain(stranger.get("NODE_PORT"));
  }

  private Process launch(String module, Map<String, String> env, Path log) {
    Process process = ProcessCluster.launch(module, env, log);
    started.add(process);
    return process;
  }

  private static Map<String, String> ports(String module) {
    return module.equals("seed")
        ? Map.of("SEED_PORT", String.valueOf(ProcessCluster.freePort()), "SEED_BIND", "127.0.0.1")
        : Map.of(
            "NODE_PORT",
            String.valueOf(ProcessCluster.freePort()),
            "NODE_BIND",
            "127.0.0.1",
            "SEED_URL",
            "http://127.0.0.1:1");
  }

  private Map<String, String> nodeEnv(String seedPort) {
    Map<String, String> env = new HashMap<>();
    String port = String.valueOf(ProcessCluster.freePort());
    env.put("NODE_PORT", port);
    env.put("NODE_BIND", "127.0.0.1");
    env.put("ADVERTISE_ADDR", "127.0.0.1:" + port);
    env.put("SEED_URL", "http://127.0.0.1:" + seedPort);
    env.put("DATA_DIR", work.resolve("node-" + port).toAbsolutePath().toString());
    env.put("HEARTBEAT_INTERVAL", "500ms");
    return env;
  }

  private void awaitMembers(String seedPort, int count) {
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> members(seedPort).split("\"id\"").length - 1 == count);
  }

  private String members(String seedPort) {
    return new String(
        client.send("GET", "http://127.0.0.1:" + seedPort, "/members", null).body(),
        StandardCharsets.UTF_8);
  }
}
