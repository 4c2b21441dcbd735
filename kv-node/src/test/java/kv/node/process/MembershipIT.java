package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import kv.node.harness.HttpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership changes with the real jars: nodes started one after another as {@code docker compose
 * up --scale} starts them, a node joining under write load, and the seed restarted empty while
 * clients write. No write acknowledged at the default W may have fewer than two copies, and what a
 * coordinator placed must reach every replica of the key at once, not at the next anti-entropy
 * round (a minute away).
 */
@Timeout(180)
class MembershipIT {
  private static final Logger log = LoggerFactory.getLogger(MembershipIT.class);
  private static final Duration AT_ONCE = Duration.ofSeconds(1);

  private final HttpTestClient client = new HttpTestClient();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void writesTheMomentTheSeedListsThreeNodesAreOnAllThreeWithinASecond() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.seedOnly(3, Map.of())) {
      for (int i = 0; i < 3; i++) {
        cluster.startNode(i);
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(5))
          .ignoreExceptions()
          .until(() -> cluster.members().get("members").size() == 3);

      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String key = "first-" + i;
        HttpResponse<byte[]> put = client.put(cluster.nodeUrl(0), key, bytes(key));
        assertThat(put.statusCode()).as("PUT %s", key).isEqualTo(204);
        assertThat(servedBy(put)).as("acks of %s", key).hasSizeGreaterThanOrEqualTo(2);
        keys.add(key);
      }

      long took = awaitEveryCopy(cluster, owners(cluster, keys));
      log.info(
          "200 keys written the moment the seed listed 3 nodes: on all three {} ms later", took);
    }
  }

  @Test
  void aNodeJoiningUnderWriteLoadMissesNoWrite() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.seedOnly(4, Map.of())) {
      for (int i = 0; i < 3; i++) {
        cluster.startNode(i);
      }
      cluster.awaitAllSee(3);
      AtomicBoolean writing = new AtomicBoolean(true);
      CompletableFuture<List<String>> writer =
          CompletableFuture.supplyAsync(
              () -> {
                List<String> acked = new ArrayList<>();
                for (int i = 0; writing.get(); i++) {
                  String key = "load-" + i;
                  HttpResponse<byte[]> put = client.put(cluster.nodeUrl(i % 3), key, bytes(key));
                  if (put.statusCode() == 204) {
                    assertThat(servedBy(put)).as("acks of %s", key).hasSizeGreaterThanOrEqualTo(2);
                    acked.add(key);
                  }
                }
                return acked;
              });

      cluster.startNode(3);
      cluster.awaitAllSee(4);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> pendingRanges(cluster, 3) == 0);
      writing.set(false);
      List<String> acked = writer.get();
      assertThat(acked).hasSizeGreaterThan(100);

      long took = awaitEveryCopy(cluster, owners(cluster, acked));
      log.info(
          "{} keys written while a fourth node joined: on all their replicas {} ms later",
          acked.size(),
          took);
    }
  }

  @Test
  void aSeedRestartedEmptyUnderWriteLoadLeavesNoWriteWithOneCopy() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      cluster.awaitAllSee(3);
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger count = new AtomicInteger();
      CompletableFuture<Map<String, Set<String>>> writer =
          CompletableFuture.supplyAsync(
              () -> {
                Map<String, Set<String>> acked = new HashMap<>();
                for (int i = 0; writing.get(); i++) {
                  String key = "restart-" + i;
                  HttpResponse<byte[]> put = client.put(cluster.nodeUrl(i % 3), key, bytes(key));
                  if (put.statusCode() == 204) {
                    acked.put(key, servedBy(put));
                    count.incrementAndGet();
                  }
                }
                return acked;
              });

      cluster.killSeed();
      int atKill = count.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> count.get() >= atKill + 200);
      cluster.startSeed(); // knows nobody: the nodes register again, one by one
      // the first node seen in the new list (the lowest id, if two registered within 2 ms)
      String first =
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(2))
              .ignoreExceptions()
              .until(() -> firstMember(cluster), id -> id != null);
      cluster.awaitAllSee(3);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> cluster.members().get("members").size() == 3);
      writing.set(false);
      Map<String, Set<String>> acked = writer.get();

      assertThat(acked).isNotEmpty();
      acked.forEach(
          (key, copies) ->
              assertThat(copies)
                  .as("replicas that acknowledged %s", key)
                  .hasSizeGreaterThanOrEqualTo(2));

      int firstIndex = indexOf(cluster, first);
      cluster.kill(firstIndex); // the node that re-registered alone, first: memory storage gone
      int other = (firstIndex + 1) % 3;
      for (String key : acked.keySet()) { // at R=2: both nodes left
        HttpResponse<byte[]> got = client.get(cluster.nodeUrl(other), key);
        assertThat(got.statusCode()).as("GET %s", key).isEqualTo(200);
        assertThat(got.body()).isEqualTo(bytes(key));
      }
      log.info(
          "{} writes acknowledged across a seed restart, each by 2+ replicas; none lost "
              + "with {} (first to register again) killed",
          acked.size(),
          first);
    }
  }

  /**
   * Checks, again and again, that every key is on every one of its replicas, and fails unless a
   * check that started within {@link #AT_ONCE} found no copy missing; returns when that check
   * started, in milliseconds from now. (A check reads each node's whole range once, which takes a
   * while on a busy machine: it is the check's start that must be within the bound.)
   */
  private static long awaitEveryCopy(ProcessCluster cluster, Map<String, List<Integer>> owners) {
    long started = System.nanoTime();
    List<String> missing;
    long checkedAt;
    do {
      checkedAt = System.nanoTime() - started;
      missing = missingCopies(cluster, owners);
    } while (!missing.isEmpty() && System.nanoTime() - started < AT_ONCE.toNanos());
    assertThat(missing)
        .as(
            "copies missing %d ms after the last write (key@node)",
            Duration.ofNanos(checkedAt).toMillis())
        .isEmpty();
    return Duration.ofNanos(checkedAt).toMillis();
  }

  /** The node indexes of each key's replicas, as node 0's ring places them. */
  private Map<String, List<Integer>> owners(ProcessCluster cluster, List<String> keys)
      throws IOException {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.isRunning(i)) {
        index.put(cluster.selfId(i), i);
      }
    }
    Map<String, List<Integer>> owners = new HashMap<>();
    for (String key : keys) {
      JsonNode list =
          json.readTree(
                  client
                      .send(
                          "GET",
                          cluster.nodeUrl(0),
                          "/locate?key=" + HttpTestClient.encode(key),
                          null)
                      .body())
              .get("preferenceList");
      assertThat(list).hasSize(3);
      List<Integer> nodes = new ArrayList<>();
      list.forEach(owner -> nodes.add(index.get(owner.get("id").asText())));
      owners.put(key, nodes);
    }
    return owners;
  }

  /** Copies not yet on their replica, as {@code key@node}: one range read per node. */
  private static List<String> missingCopies(
      ProcessCluster cluster, Map<String, List<Integer>> owners) {
    Map<Integer, Set<String>> held = new HashMap<>();
    List<String> missing = new ArrayList<>();
    owners.forEach(
        (key, nodes) -> {
          for (int node : nodes) {
            if (!held.computeIfAbsent(node, cluster::keysOn).contains(key)) {
              missing.add(key + "@" + node);
            }
          }
        });
    return missing;
  }

  private static double pendingRanges(ProcessCluster cluster, int index) {
    String metrics =
        new String(
            new HttpTestClient().send("GET", cluster.nodeUrl(index), "/metrics", null).body(),
            StandardCharsets.UTF_8);
    return metrics
        .lines()
        .filter(l -> l.startsWith("kv_rebalance_pending_ranges "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }

  private static String firstMember(ProcessCluster cluster) {
    JsonNode members = cluster.members().get("members");
    return members.isEmpty() ? null : members.get(0).get("id").asText();
  }

  private static int indexOf(ProcessCluster cluster, String id) {
    for (int i = 0; i < cluster.size(); i++) {
      if (cluster.selfId(i).equals(id)) {
        return i;
      }
    }
    throw new IllegalStateException("no node " + id);
  }

  private static Set<String> servedBy(HttpResponse<byte[]> put) {
    return new HashSet<>(List.of(put.headers().firstValue("X-Kv-Served-By").orElse("").split(",")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
