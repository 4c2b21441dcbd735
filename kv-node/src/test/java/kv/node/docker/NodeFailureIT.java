package kv.node.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import kv.common.NodeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Five nodes from the compose file. One is stopped, killed and started again, through the Docker
 * API calls behind {@code docker stop}, {@code docker kill} and {@code docker start}. Each test
 * leaves all five running, so the tests share one cluster.
 */
@DockerTest
class NodeFailureIT {
  private static final Logger log = LoggerFactory.getLogger(NodeFailureIT.class);
  private static final int NODES = 5;
  private static final int KEYS = 1_000;
  private static final int REQUESTS_IN_FLIGHT = 8;

  /** Seed ttl 15 s, plus its 1 s expiry pass, plus slack. */
  private static final Duration EXPIRY_AFTER_STOP = Duration.ofSeconds(40);

  /** The bound required for a SIGKILLed node: ttl 15 s after a heartbeat at most 5 s old. */
  private static final Duration EXPIRY_AFTER_KILL = Duration.ofSeconds(20);

  /** A JVM start, a registration, and a 5 s heartbeat for every other node to hear of it. */
  private static final Duration CONVERGENCE = Duration.ofSeconds(60);

  private static ComposeCluster cluster;

  @BeforeAll
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a cold run builds both images first
  static void startCluster() {
    cluster = ComposeCluster.up(NODES);
  }

  @AfterAll
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void noKeyIsLostWhileOneNodeIsStoppedOrAfterItReturns() {
    Map<Integer, NodeId> ids = cluster.awaitConverged(cluster.instances(), CONVERGENCE);
    List<URI> nodes = cluster.nodes(cluster.instances());
    writeKeys(nodes);
    int victim = 3;
    NodeId victimId = ids.get(victim);
    Set<Integer> ownedByOthers = keysNotOwnedBy(victimId, nodes);
    Set<Integer> allKeys = IntStream.range(0, KEYS).boxed().collect(Collectors.toSet());

    cluster.stop(victim);
    await(victimId + " leaves the seed's member list")
        .atMost(EXPIRY_AFTER_STOP)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> !cluster.seedMembers().contains(victimId));
    cluster.awaitConverged(cluster.allBut(victim), CONVERGENCE);
    Set<Integer> readable = readableKeys(cluster.nodes(cluster.allBut(victim)));
    logLoss("while " + victimId + " is stopped", readable);
    assertThat(missing(ownedByOthers, readable)).as("keys not owned by " + victimId).isEmpty();
    assertThat(missing(allKeys, readable))
        .as("keys lost (N=3: every key has two other copies)")
        .isEmpty();

    cluster.start(victim);
    Map<Integer, NodeId> back = cluster.awaitConverged(cluster.instances(), CONVERGENCE);
    assertThat(back.get(victim)).isEqualTo(victimId);
    readable = readableKeys(cluster.nodes(cluster.instances()));
    logLoss("after " + victimId + " restarted", readable);
    // The restarted node comes back with its RocksDB records (the image's STORAGE=rocksdb), and
    // every key has N=3 replicas anyway: reads at R=2 find the newest copy, 0 % loss.
    assertThat(missing(allKeys, readable))
        .as("keys lost after " + victimId + " restarted")
        .isEmpty();
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void killedNodeLeavesTheMemberListWithin20sAndReturnsWithItsId() {
    Map<Integer, NodeId> ids = cluster.awaitConverged(cluster.instances(), CONVERGENCE);
    int victim = NODES;
    NodeId victimId = ids.get(victim);

    long killedAt = System.nanoTime();
    cluster.kill(victim);
    await(victimId + " leaves the seed's member list after SIGKILL")
        .atMost(EXPIRY_AFTER_KILL)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> !cluster.seedMembers().contains(victimId));
    log.info(
        "The seed dropped {} {} ms after SIGKILL",
        victimId,
        (System.nanoTime() - killedAt) / 1_000_000);

    cluster.start(victim);
    Map<Integer, NodeId> back = cluster.awaitConverged(cluster.instances(), CONVERGENCE);
    assertThat(back.get(victim)).as("id kept in the container's /data volume").isEqualTo(victimId);
  }

  /** Writes every key through a node picked at random. */
  private static void writeKeys(List<URI> nodes) {
    int[] via = new Random(42).ints(KEYS, 0, nodes.size()).toArray();
    List<Integer> statuses =
        forEveryKey(i -> kv().put(nodes.get(via[i]), key(i), value(i)).statusCode());
    assertThat(statuses).as("PUT statuses").containsOnly(204);
  }

  /** The keys whose preference list leaves out {@code node}, asking the nodes in turn. */
  private static Set<Integer> keysNotOwnedBy(NodeId node, List<URI> nodes) {
    List<Set<NodeId>> owners =
        forEveryKey(i -> kv().locate(nodes.get(i % nodes.size()), key(i)).owners());
    Set<Integer> notOwned =
        IntStream.range(0, KEYS)
            .filter(i -> !owners.get(i).contains(node))
            .boxed()
            .collect(Collectors.toSet());
    log.info("{} of {} keys are owned by {}", KEYS - notOwned.size(), KEYS, node);
    return notOwned;
  }

  /** The keys that read back with the value written, asking the nodes in turn. */
  private static Set<Integer> readableKeys(List<URI> nodes) {
    List<Boolean> read =
        forEveryKey(
            i -> {
              HttpResponse<byte[]> found = kv().get(nodes.get(i % nodes.size()), key(i));
              return found.statusCode() == 200 && Arrays.equals(found.body(), value(i));
            });
    return IntStream.range(0, KEYS).filter(read::get).boxed().collect(Collectors.toSet());
  }

  /**
   * Calls {@code call} for every key number, with a few requests in flight at a time. The order
   * does not matter, and on a busy two-core machine one request at a time took 40 s or more per
   * pass over the keys.
   */
  private static <T> List<T> forEveryKey(IntFunction<T> call) {
    ExecutorService pool = Executors.newFixedThreadPool(REQUESTS_IN_FLIGHT);
    try {
      List<CompletableFuture<T>> calls =
          IntStream.range(0, KEYS)
              .mapToObj(i -> CompletableFuture.supplyAsync(() -> call.apply(i), pool))
              .toList();
      return calls.stream().map(CompletableFuture::join).toList();
    } finally {
      pool.shutdownNow();
    }
  }

  private static String key(int i) {
    return "chaos/" + i + "/ключ 🔑";
  }

  private static byte[] value(int i) {
    return ("value " + i).getBytes(UTF_8);
  }

  private static KvClient kv() {
    return cluster.client();
  }

  /** The keys in {@code expected} that are not readable, by name. */
  private static Set<String> missing(Set<Integer> expected, Set<Integer> readable) {
    return expected.stream()
        .filter(i -> !readable.contains(i))
        .map(NodeFailureIT::key)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static void logLoss(String when, Set<Integer> readable) {
    int lost = KEYS - readable.size();
    log.info(
        "Loss {}: {} of {} keys unreadable ({} %)",
        when, lost, KEYS, String.format("%.1f", 100.0 * lost / KEYS));
  }
}
