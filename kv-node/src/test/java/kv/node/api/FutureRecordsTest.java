package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.protocol.SyncProtocol;
import kv.node.protocol.SyncRecord;
import kv.node.sync.SyncConfig;
import kv.node.version.HybridClock;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No timestamp from outside moves a node's clock past MAX_CLOCK_OFFSET (500 ms in the harness): a
 * record further ahead of the node's clock, by any path that brings records in, is refused with
 * {@code clock_skew}, counted, and changes neither the node's next version nor its storage; a
 * record within the bound is still kept. The harness's clock stands still unless a test moves it.
 */
@Timeout(120) // a cold JVM's first cluster start took 10-25 s on a busy machine
class FutureRecordsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = TestCluster.TOKEN.headerValue().orElseThrow();

  /** An anti-entropy round on every tick of the harness. */
  private final TestCluster cluster =
      TestCluster.start(
          3,
          config ->
              config.withSync(
                  new SyncConfig(
                      TestCluster.HEARTBEAT,
                      10_000_000,
                      SyncConfig.defaults().handoffSettle(),
                      SyncConfig.defaults().maxRebalanceShare())));

  private final HttpTestClient client = cluster.client();
  private final NodeId target = cluster.id(1);
  private final String url = cluster.url(target);

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aBatchRefusesEachRecordFromTheFutureAsThatOperationsReplyAndRunsTheRest() {
    assertThat(client.put(url, "present", bytes("v1"), "&w=all").statusCode()).isEqualTo(204);
    long now = cluster.clock().millis();

    List<ReplicaReply> replies =
        batch(
            List.of(
                write("forged-max", Long.MAX_VALUE, Optional.empty()),
                write("forged-just-past", HybridClock.atMillis(now + 501), Optional.empty()),
                write("forged-hint", Long.MAX_VALUE, Optional.of(cluster.id(2))),
                write("present", Long.MAX_VALUE, Optional.empty()),
                new ReplicaOp.Read(Key.of("present"))));

    assertThat(replies).hasSize(5);
    for (ReplicaReply reply : replies.subList(0, 4)) {
      assertThat(reply)
          .isInstanceOfSatisfying(
              ReplicaReply.Failed.class,
              failed -> {
                assertThat(failed.code()).isEqualTo(ErrorCode.CLOCK_SKEW);
                assertThat(failed.message()).contains("MAX_CLOCK_OFFSET");
              });
    }
    assertThat(replies.get(4))
        .isInstanceOfSatisfying(
            ReplicaReply.Found.class,
            found -> assertThat(found.record().value()).isEqualTo(Value.of("v1")));
    assertUntouched(target, "forged-max", "forged-just-past", "forged-hint");
    assertThat(cluster.node(target).hints().pending()).isZero();
    assertThat(stored(target, "present").value()).isEqualTo(Value.of("v1"));
    assertThat(refused(target, "write")).isEqualTo(3);
    assertThat(refused(target, "hint")).isEqualTo(1);
    assertNextVersionIsAt(now);

    long atBound = HybridClock.atMillis(now + 500);
    List<ReplicaReply> mixed =
        batch(
            List.of(
                write("within", atBound, Optional.empty()),
                write("forged-max", Long.MAX_VALUE, Optional.empty())));
    assertThat(mixed.get(0)).isInstanceOf(ReplicaReply.Written.class);
    assertThat(mixed.get(1)).isInstanceOf(ReplicaReply.Failed.class);
    assertThat(stored(target, "within").version().timestamp()).isEqualTo(atBound);
    assertThat(nextVersion().timestamp()).isGreaterThan(atBound); // observed: HLC moved past it
  }

  @Test
  void aSingleReplicaWriteFromTheFutureIsA503ClockSkewAndStoresNothing() throws IOException {
    long now = cluster.clock().millis();
    for (String hint : new String[] {"", "&hint=" + cluster.id(2).value()}) {
      for (long timestamp : new long[] {Long.MAX_VALUE, HybridClock.atMillis(now + 501)}) {
        HttpResponse<byte[]> answer =
            client.send(
                HttpTestClient.request(url, ReplicaHeaders.PATH + "?key=forged" + hint)
                    .header(ClusterToken.HEADER, TOKEN)
                    .header(ReplicaHeaders.VERSION, timestamp + "@mallory")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes("planted")))
                    .build());
        assertThat(answer.statusCode()).isEqualTo(503);
        JsonNode error = JSON.readTree(answer.body());
        assertThat(error.get("error").asText()).isEqualTo("clock_skew");
        assertThat(error.get("message").asText()).contains("ms ahead");
      }
    }
    assertUntouched(target, "forged");
    assertThat(cluster.node(target).hints().pending()).isZero();
    assertThat(refused(target, "write")).isEqualTo(2);
    assertThat(refused(target, "hint")).isEqualTo(2);
    assertNextVersionIsAt(now);
  }

  @Test
  void aPushKeepsTheRecordsWithinTheBoundAndAnswers503ForTheOthers() throws IOException {
    long now = cluster.clock().millis();
    Versioned old =
        Versioned.live(
            new Version(HybridClock.atMillis(now - 1000), NodeId.of("node-2")),
            Value.of("old but fine"));
    byte[] push =
        RecordCodec.encode(
            List.of(
                new SyncRecord(
                    Key.of("forged"),
                    Versioned.tombstone(new Version(Long.MAX_VALUE, NodeId.of("mallory")))),
                new SyncRecord(Key.of("pushed"), old)));

    HttpResponse<byte[]> answer =
        client.send(
            HttpTestClient.request(url, SyncProtocol.RECORDS)
                .header(ClusterToken.HEADER, TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(push))
                .build());

    assertThat(answer.statusCode()).isEqualTo(503);
    JsonNode error = JSON.readTree(answer.body());
    assertThat(error.get("error").asText()).isEqualTo("clock_skew");
    assertThat(error.get("message").asText()).startsWith("1 of 2 record(s) refused");
    assertUntouched(target, "forged");
    assertThat(stored(target, "pushed")).isEqualTo(old);
    assertThat(refused(target, "push")).isEqualTo(1);
    assertNextVersionIsAt(now);
  }

  @Test
  void aRecordFromTheFutureOnOneReplicasDiskDoesNotSpread() {
    Key key = Key.of("planted");
    Versioned planted =
        Versioned.live(new Version(Long.MAX_VALUE, NodeId.of("mallory")), Value.of("pinned"));
    NodeId last = cluster.id(3); // sorts last: the others fetch from it in anti-entropy
    cluster.node(last).storage().apply(key, planted);

    cluster.tick(); // an anti-entropy round
    for (NodeId id : List.of(cluster.id(1), cluster.id(2))) {
      assertUntouched(id, "planted");
      assertThat(refused(id, "fetch")).as("fetched by %s", id).isPositive();
    }

    // a read through node 1 repairs its own replica and node 2 with the newest record: refused
    client.get(url, "planted", "&r=all");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(refused(cluster.id(1), "local")).isEqualTo(1);
              assertThat(refused(cluster.id(2), "write")).isEqualTo(1);
            });
    for (NodeId id : List.of(cluster.id(1), cluster.id(2))) {
      assertUntouched(id, "planted");
    }

    cluster.node(last).storage().remove(key, planted.version());
    cluster.node(target).storage().apply(key, planted); // node 1 starts the exchanges: it pushes
    cluster.tick();
    for (NodeId id : List.of(cluster.id(2), cluster.id(3))) {
      assertUntouched(id, "planted");
      assertThat(refused(id, "push")).as("pushed to %s", id).isPositive();
    }
    assertNextVersionIsAt(cluster.clock().millis());
  }

  private void assertNextVersionIsAt(long millis) {
    assertThat(nextVersion().physicalMillis()).isEqualTo(millis);
  }

  /** The version of a write the target node coordinates now. */
  private Version nextVersion() {
    HttpResponse<byte[]> put = client.put(url, "probe", bytes("x"), "&w=all");
    assertThat(put.statusCode()).isEqualTo(204);
    return Version.parse(put.headers().firstValue(ReplicaHeaders.VERSION).orElseThrow());
  }

  private void assertUntouched(NodeId id, String... keys) {
    for (String key : keys) {
      assertThat(cluster.node(id).storage().get(Key.of(key))).as("%s on %s", key, id).isEmpty();
    }
  }

  private Versioned stored(NodeId id, String key) {
    return cluster.node(id).storage().get(Key.of(key)).orElseThrow();
  }

  private List<ReplicaReply> batch(List<ReplicaOp> ops) {
    HttpResponse<byte[]> answer =
        client.send(
            HttpTestClient.request(url, ReplicaHeaders.BATCH_PATH)
                .header(ClusterToken.HEADER, TOKEN)
                .POST(HttpRequest.BodyPublishers.ofByteArray(BatchCodec.encodeOps(ops)))
                .build());
    assertThat(answer.statusCode()).isEqualTo(200);
    return BatchCodec.decodeReplies(answer.body(), ops.size());
  }

  private static ReplicaOp write(String key, long timestamp, Optional<NodeId> hintFor) {
    return new ReplicaOp.Write(
        Key.of(key),
        Versioned.live(new Version(timestamp, NodeId.of("mallory")), Value.of("planted")),
        hintFor,
        ReplicaOp.Write.UNPLACED);
  }

  /** {@code kv_records_refused_total{reason="clock_skew",via=...}} on node {@code id}. */
  private double refused(NodeId id, String via) {
    return cluster.metric(
        id, "kv_records_refused_total{reason=\"clock_skew\",via=\"" + via + "\"}");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
