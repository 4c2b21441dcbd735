package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/local-cluster.sh} as a user runs it, on ports of its own: it refuses to start next
 * to another cluster on its ports (as happened beside a running Compose cluster, whose seed then
 * took the script's nodes), and otherwise starts, reports and stops what it started.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LocalClusterScriptIT {
  private static final Path SCRIPT =
      Path.of("..", "scripts", "local-cluster.sh").toAbsolutePath().normalize();

  @TempDir Path state;

  @AfterEach
  void stopWhateverIsLeft() throws Exception {
    run(Map.of(), "stop");
  }

  @Test
  void aTakenPortStopsTheStartBeforeAnythingRuns() throws Exception {
    try (ServerSocket other = new ServerSocket(0)) { // another cluster's seed, say
      Result start = run(Map.of("SEED_PORT", Integer.toString(other.getLocalPort())), "start");

      assertThat(start.exit()).isEqualTo(1);
      assertThat(start.output())
          .contains("port " + other.getLocalPort() + " on 127.0.0.1 is already in use")
          .contains("nothing started");
      assertThat(pidFiles()).isEmpty();
    }
  }

  @Test
  void startsItsOwnClusterWithItsOwnTokenAndStopsIt() throws Exception {
    int seedPort = freePort();
    int basePort = freePort();
    Map<String, String> env =
        Map.of(
            "NODES",
            "2",
            "SEED_PORT",
            Integer.toString(seedPort),
            "BASE_PORT",
            Integer.toString(basePort),
            "JAVA_OPTS",
            "-Xmx128m -XX:TieredStopAtLevel=1");

    Result start = run(env, "start");

    assertThat(start.exit()).as(start.output()).isZero();
    assertThat(start.output())
        .contains("seed   http://127.0.0.1:" + seedPort)
        .contains("node-1 http://127.0.0.1:" + basePort)
        .contains("node-2 http://127.0.0.1:" + (basePort + 1));
    assertThat(state.resolve("cluster-token")).isNotEmptyFile(); // one of its own, not a default
    assertThat(pidFiles()).hasSize(3);
    assertThat(run(env, "status").output()).contains("seed running", "node-1 running");

    Result again = run(env, "start");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.output()).contains("already running");

    Result stop = run(env, "stop");
    assertThat(stop.output()).contains("stopped 3 process(es)");
    assertThat(pidFiles()).isEmpty();
  }

  private List<Path> pidFiles() throws IOException {
    try (Stream<Path> files = Files.list(state)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList();
    }
  }

  private static int freePort() throws IOException {
    // the nodes take BASE_PORT and BASE_PORT + 1: should the second be taken, start fails
    // loudly and says which port, rather than passing by accident
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private record Result(int exit, String output) {}

  private Result run(Map<String, String> env, String command) throws Exception {
    Path log = Files.createTempFile(state, "script", ".log");
    ProcessBuilder builder =
        new ProcessBuilder("bash", SCRIPT.toString(), command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("LOCAL_CLUSTER_DIR", state.toString());
    Process process = builder.start();
    if (!process.waitFor(Duration.ofSeconds(120).toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("local-cluster.sh " + command + " did not finish within 120 s");
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
