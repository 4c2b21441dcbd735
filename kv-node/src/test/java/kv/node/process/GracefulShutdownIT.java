package kv.node.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import kv.node.harness.HttpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM to one of three node processes in the middle of a write load: the node leaves the seed's
 * list at once (not after NODE_TTL), drains, finishes what it has in flight and exits; every write
 * that was acknowledged is still readable at R=2 from the survivors.
 */
@Timeout(120)
class GracefulShutdownIT {
  private static final Logger log = LoggerFactory.getLogger(GracefulShutdownIT.class);
  private static final int WRITERS = 4;
  private static final int STOPPED = 2;
  private final HttpTestClient client = new HttpTestClient();

  @Test
  void sigtermMidLoadDeregistersAtOnceAndLosesNoAcknowledgedWrite() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      cluster.awaitAllSee(3);
      String stoppedId = cluster.clusterView(STOPPED).get("self").asText();
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger survivorFailures = new AtomicInteger();
      AtomicInteger stoppingFailures = new AtomicInteger();
      AtomicBoolean done = new AtomicBoolean();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < 5_000 && !done.get(); i++) {
                    int node = (writer + i) % cluster.size();
                    String key = "w" + writer + "-" + i; // each key written once
                    if (put(cluster, node, key)) {
                      acknowledged.add(key);
                    } else if (node == STOPPED) {
                      stoppingFailures.incrementAndGet();
                    } else {
                      survivorFailures.incrementAndGet();
                    }
                  }
                }));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 400);

      long signalled = System.nanoTime();
      Process stopping = cluster.terminate(STOPPED);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> !cluster.members().toString().contains(stoppedId)); // NODE_TTL is 15 s
      Duration gone = Duration.ofNanos(System.nanoTime() - signalled);
      assertThat(stopping.waitFor(20, TimeUnit.SECONDS)).as("node exited").isTrue();
      int atExit = acknowledged.size();
      await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= atExit + 200);
      done.set(true);
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      assertThat(gone).as("left the member list after SIGTERM").isLessThan(Duration.ofSeconds(5));
      assertThat(Files.readString(cluster.log(STOPPED)))
          .contains("Deregistered " + stoppedId)
          .contains("Shutdown complete");
      assertThat(survivorFailures.get()).as("writes through the survivors that failed").isZero();
      for (String key : acknowledged) {
        int survivor = Math.floorMod(key.hashCode(), 2); // nodes 0 and 1 survive
        HttpResponse<byte[]> got = client.get(cluster.nodeUrl(survivor), key);
        assertThat(got.statusCode()).as("GET %s (acknowledged)", key).isEqualTo(200);
        assertThat(got.body()).as("value of %s", key).isEqualTo(value(key));
      }
      assertThat(acknowledged.size()).isGreaterThan(600);
      log.info(
          "{} writes acknowledged, {} through the stopping node failed, gone from the list"
              + " {} ms after SIGTERM",
          acknowledged.size(),
          stoppingFailures.get(),
          gone.toMillis());
    }
  }

  private boolean put(ProcessCluster cluster, int node, String key) {
    try {
      return client.put(cluster.nodeUrl(node), key, value(key)).statusCode() == 204;
    } catch (UncheckedIOException e) { // refused or reset: the node is gone; not acknowledged
      return false;
    }
  }

  private static byte[] value(String key) {
    return ("value of " + key).getBytes(StandardCharsets.UTF_8);
  }
}
