package kv.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Json;
import kv.common.Key;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.harness.TestReplicas;
import kv.node.peer.HttpSyncPeerClient;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.SyncProtocol;
import kv.node.protocol.SyncRecord;
import kv.node.ring.TokenRange;
import kv.node.storage.InMemoryStorageEngine;
import kv.node.storage.StorageEngine;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /internal/range} answers a range of any size in pages of bounded size (40 concurrent
 * dumps of 200 MiB ranges used to run a node out of memory), and range transfers follow the pages.
 */
@Timeout(60)
class RangePagingTest {
  private static final int KEYS = 300;
  private static final int VALUE_BYTES = 16 << 10; // 4.8 MiB in all: ~19 pages
  private static TestCluster cluster;
  private static String node;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(1);
    node = cluster.url(cluster.id(1));
    for (int i = 0; i < KEYS; i++) {
      assertThat(cluster.client().put(node, "key-" + i, value(i)).statusCode()).isEqualTo(204);
    }
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aRangeLargerThanAPageIsAnsweredInBoundedPagesThatTogetherHoldItAll() {
    Set<Key> seen = new HashSet<>();
    TokenRange rest = TokenRange.fullRing();
    int pages = 0;
    while (true) {
      HttpResponse<byte[]> page =
          cluster
              .client()
              .send(
                  HttpTestClient.request(
                          node,
                          SyncProtocol.RANGE + "?start=" + rest.start() + "&end=" + rest.end())
                      .header(ClusterToken.HEADER, TestCluster.TOKEN.headerValue().orElseThrow())
                      .GET()
                      .build());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body().length)
          .as("page %d", pages)
          .isLessThanOrEqualTo(SyncProtocol.PAGE_BYTES + VALUE_BYTES + 1024);
      pages++;
      for (SyncRecord r : RecordCodec.decode(page.body())) {
        assertThat(seen.add(r.key())).as("%s in one page only", r.key()).isTrue();
        assertThat(rest.contains(r.key().token())).isTrue();
      }
      Optional<String> resume = page.headers().firstValue(SyncProtocol.RESUME_AFTER);
      if (resume.isEmpty()) {
        break;
      }
      rest = new TokenRange(Long.parseLong(resume.get()), rest.end());
    }
    assertThat(pages).isGreaterThan(10);
    assertThat(seen).hasSize(KEYS);
  }

  @Test
  void rangeTransfersFollowThePagesToTheEnd() {
    StorageEngine local = new InMemoryStorageEngine();
    OkHttpClient http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
    try {
      RangeSync sync =
          new RangeSync(
              local,
              TestReplicas.over(local, cluster.clock()),
              new HttpSyncPeerClient(http, TestCluster.TOKEN, Json.newMapper()),
              Duration.ofSeconds(10),
              MerkleTree.DEFAULT_DEPTH);
      Endpoint peer = new Endpoint("127.0.0.1", cluster.node(cluster.id(1)).port());
      TransferBudget budget = new TransferBudget(Clock.systemUTC(), 10_000_000);

      // every slice of the tree (an eighth of the ring) holds ~600 KiB: two or three pages each
      RangeSync.Outcome outcome = sync.exchange(TokenRange.fullRing(), peer, budget, false, 0);

      assertThat(outcome.complete()).isTrue();
      assertThat(outcome.pulled()).isEqualTo(KEYS);
      for (int i = 0; i < KEYS; i++) {
        assertThat(local.get(Key.of("key-" + i)).orElseThrow().value().toBytes())
            .isEqualTo(value(i));
      }
      assertThat(sync.unconfirmed(TokenRange.fullRing(), peer, budget)).isEmpty();
    } finally {
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
  }

  private static byte[] value(int i) {
    byte[] value = new byte[VALUE_BYTES];
    Arrays.fill(value, (byte) i);
    return value;
  }
}
