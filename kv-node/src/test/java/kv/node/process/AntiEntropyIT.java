package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import kv.common.ClusterToken;
import kv.node.harness.HttpTestClient;
import kv.node.protocol.SyncProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 6 test b, with real processes: a node frozen by SIGSTOP in the middle of a write load and
 * then resumed loses no acknowledged write, and within two anti-entropy periods all three replicas
 * hold byte-identical data (equal Merkle roots over the whole ring).
 */
@Timeout(240)
class AntiEntropyIT {
  private static final Logger log = LoggerFactory.getLogger(AntiEntropyIT.class);
  private static final Duration PERIOD = Duration.ofSeconds(5);
  private static final int WRITERS = 4;

  private final HttpTestClient client = new HttpTestClient();

  @Test
  void aPausedReplicaLosesNothingAndConvergesWithinTwoPeriods() throws Exception {
    try (ProcessCluster cluster =
        ProcessCluster.start(
            3,
            Map.of("ANTI_ENTROPY_INTERVAL", PERIOD.toMillis() + "ms", "PEER_TIMEOUT", "500ms"))) {
      cluster.awaitAllSee(3);
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < WRITERS; t++) {
        int writer = t;
        writers.add(
            pool.submit(
                () -> {
                  String via =
                      cluster.nodeUrl(writer % 2); // nodes 0 and 1; node 2 is the one paused
                  for (int i = 0; !stop.get() && i < 50_000; i++) {
                    String key = "w" + writer + "-" + i;
                    if (client.put(via, key, value(key)).statusCode() == 204) {
                      acknowledged.add(key);
                    }
                  }
                }));
      }
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 500);
        cluster.pause(2);
        int beforePause = acknowledged.size();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> acknowledged.size() >= beforePause + 1000);
        cluster.resume(2);
        int afterResume = acknowledged.size();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> acknowledged.size() >= afterResume + 500);
      } finally {
        stop.set(true);
        for (Future<?> writer : writers) {
          writer.get(60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
      }

      long loadEnded = System.nanoTime();
      await()
          .atMost(PERIOD.multipliedBy(2))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> Stream.of(0, 1, 2).map(i -> root(cluster, i)).distinct().count() == 1);
      Duration converged = Duration.ofNanos(System.nanoTime() - loadEnded);
      log.info(
          "Replicas converged {} ms after the load ended; {} writes acknowledged",
          converged.toMillis(),
          acknowledged.size());

      for (String key : acknowledged) {
        HttpResponse<byte[]> got = client.get(cluster.nodeUrl(2), key);
        assertThat(got.statusCode()).as("GET %s", key).isEqualTo(200);
        assertThat(got.body()).as(key).isEqualTo(value(key));
      }
    }
  }

  /** The node's Merkle root of the whole ring (depth 0: the root is the one leaf). */
  private String root(ProcessCluster cluster, int index) {
    HttpResponse<byte[]> tree =
        client.send(
            HttpTestClient.request(
                    cluster.nodeUrl(index),
                    SyncProtocol.MERKLE
                        + "?start="
                        + Long.MIN_VALUE
                        + "&end="
                        + Long.MIN_VALUE
                        + "&depth=0")
                .header(ClusterToken.HEADER, ProcessCluster.TOKEN)
                .GET()
                .build());
    assertThat(tree.statusCode()).isEqualTo(200);
    return HexFormat.of().formatHex(tree.body());
  }

  private static byte[] value(String key) {
    return ("value of " + key).getBytes(StandardCharsets.UTF_8);
  }
}
