package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import kv.common.ClusterToken;
import kv.node.harness.HttpTestClient;
import kv.node.protocol.ReplicaHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC 6: after {@code kill -9} and a restart, a node with the RocksDB engine has every write it
 * acknowledged. Real processes, real files: the node's own storage is read back with the two other
 * replicas dead, so nothing but its disk can have supplied the records.
 */
@Timeout(240)
class DurableStorageIT {
  private static final int KEYS = 10_000;
  private static final int CLIENT_THREADS = 4;

  private final HttpTestClient client = new HttpTestClient();

  @Test
  void aKilledRocksDbNodeComesBackWithEveryAcknowledgedWrite() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3, Map.of("STORAGE", "rocksdb"))) {
      cluster.awaitAllSee(3);
      String id = cluster.selfId(0);
      String via = cluster.nodeUrl(0);

      Map<Integer, String> versions = new ConcurrentHashMap<>();
      inParallel(
          i -> {
            HttpResponse<byte[]> put = client.put(via, key(i), value(i), "&w=all");
            assertThat(put.statusCode()).as("PUT %s", key(i)).isEqualTo(204); // on all 3 replicas
            versions.put(i, put.headers().firstValue(ReplicaHeaders.VERSION).orElseThrow());
          });

      cluster.kill(0); // SIGKILL right after the last acknowledgement: no flush, no shutdown hook
      cluster.kill(1); // the other replicas go too, so only node 0's disk can answer below
      cluster.kill(2);
      assertThat(cluster.dataDir(0).resolve("rocksdb").resolve("CURRENT")).isRegularFile();
      assertThat(cluster.dataDir(0).resolve("rocksdb-jni")) // not a new file in /tmp per start
          .isDirectoryContaining("glob:**librocksdbjni*");
      cluster.startNode(0);

      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> cluster.selfId(0).equals(id));
      assertThat(cluster.selfId(0)).as("the same id, kept in DATA_DIR/node-id").isEqualTo(id);

      inParallel(
          i -> { // node 0's storage itself, through the replica endpoint
            HttpResponse<byte[]> got =
                client.send(
                    HttpTestClient.request(
                            via, ReplicaHeaders.PATH + "?key=" + HttpTestClient.encode(key(i)))
                        .header(ClusterToken.HEADER, ProcessCluster.TOKEN)
                        .GET()
                        .build());
            assertThat(got.statusCode()).as("internal GET %s", key(i)).isEqualTo(200);
            assertThat(got.body()).as("%s", key(i)).isEqualTo(value(i));
            assertThat(got.headers().firstValue(ReplicaHeaders.VERSION)).contains(versions.get(i));
          });
      inParallel(
          i -> { // and as a client sees it: r=1 is met by node 0 alone
            HttpResponse<byte[]> got = client.get(via, key(i), "&r=1");
            assertThat(got.statusCode()).as("GET %s", key(i)).isEqualTo(200);
            assertThat(got.body()).as("%s", key(i)).isEqualTo(value(i));
          });
    }
  }

  private static String key(int i) {
    return "durable-" + i + (i % 100 == 0 ? " & ✓/😀" : "");
  }

  private static byte[] value(int i) {
    return ("value-" + i + "-" + "x".repeat(90)).getBytes(StandardCharsets.UTF_8);
  }

  /** Runs {@code action} for every key index on a few client threads; the first failure fails. */
  private static void inParallel(IntConsumer action) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENT_THREADS);
    try {
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < CLIENT_THREADS; t++) {
        int first = t;
        parts.add(
            pool.submit(
                () -> {
                  for (int i = first; i < KEYS; i += CLIENT_THREADS) {
                    action.accept(i);
                  }
                }));
      }
      for (Future<?> part : parts) {
        part.get(150, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
