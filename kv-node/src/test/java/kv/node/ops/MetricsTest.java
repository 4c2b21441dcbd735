package kv.node.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kv.node.harness.TestCluster;
import org.junit.jupiter.api.Test;

/** Scrapes the Prometheus endpoints and checks the counters move with the traffic. */
class MetricsTest {
  @Test
  void nodeCountsRequestsReplicaCallsAndReadRepairs() {
    try (var cluster = TestCluster.start(3)) {
      var client = cluster.client();
      String node = cluster.url(cluster.id(1));
      String before = scrape(cluster, node);

      for (int i = 0; i < 10; i++) {
        client.put(node, "k" + i, bytes("v"), "&w=all");
        client.get(node, "k" + i);
      }
      client.get(node, "absent");
      cluster.partition(cluster.id(1), cluster.id(3));
      client.put(node, "stale-on-3", bytes("v"));
      cluster.heal();
      client.get(node, "stale-on-3", "&r=all");

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                String after = scrape(cluster, node);
                assertThat(
                        value(
                                after,
                                "http_server_requests_seconds_count{method=\"PUT\",status=\"204\",uri=\"/put\"}")
                            - value(
                                before,
                                "http_server_requests_seconds_count{method=\"PUT\",status=\"204\",uri=\"/put\"}"))
                    .isEqualTo(11);
                assertThat(
                        value(
                            after,
                            "http_server_requests_seconds_count{method=\"GET\",status=\"404\",uri=\"/get\"}"))
                    .isEqualTo(1);
                assertThat(
                        value(
                            after,
                            "kv_replica_calls_total{op=\"write\",outcome=\"ok\",replica=\"remote\"}"))
                    .isGreaterThanOrEqualTo(20);
                assertThat(
                        value(
                            after,
                            "kv_replica_calls_total{op=\"write\",outcome=\"ok\",replica=\"local\"}"))
                    .isEqualTo(11);
                assertThat(
                        value(
                            after,
                            "kv_replica_calls_total{op=\"write\",outcome=\"failed\",replica=\"remote\"}"))
                    .isEqualTo(1);
                assertThat(value(after, "kv_read_repairs_total")).isGreaterThanOrEqualTo(1);
                assertThat(value(after, "kv_peer_batch_operations_sum"))
                    .as("operations sent in batches")
                    .isGreaterThanOrEqualTo(20);
                assertThat(value(after, "kv_peer_operations_queued")).isZero();
                assertThat(value(after, "kv_peer_operations_expired_total")).isZero();
                assertThat(value(after, "kv_ring_members")).isEqualTo(3);
                assertThat(value(after, "kv_storage_records")).isEqualTo(11);
                assertThat(after).contains("jvm_memory_used_bytes");
                assertThat(after).contains("http_server_requests_seconds_bucket");
              });
    }
  }

  @Test
  void junkPathsShareOneSeriesAndTheSeedReportsItsMembers() {
    try (var cluster = TestCluster.start(2)) {
      String node = cluster.url(cluster.id(1));
      for (int i = 0; i < 20; i++) {
        cluster.client().send("GET", node, "/junk-" + i, null);
      }
      String scraped = scrape(cluster, node);
      assertThat(
              value(
                  scraped,
                  "http_server_requests_seconds_count{method=\"GET\",status=\"404\",uri=\"UNKNOWN\"}"))
          .isEqualTo(20);
      assertThat(scraped).doesNotContain("/junk-");

      String seed = scrape(cluster, "http://127.0.0.1:" + cluster.seed().port());
      assertThat(value(seed, "seed_members")).isEqualTo(2);
    }
  }

  private static String scrape(TestCluster cluster, String baseUrl) {
    var response = cluster.client().send("GET", baseUrl, "/metrics", null);
    assertThat(response.statusCode()).isEqualTo(200);
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static double value(String scraped, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE)
            .matcher(scraped);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
