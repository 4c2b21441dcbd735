package kv.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.version.Version;
import kv.node.version.Versioned;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client side of {@code /internal/batch} against a real HTTP server playing the peer. */
@Timeout(20)
class HttpPeerClientTest {
  private static final Versioned RECORD =
      Versioned.live(new Version(7, NodeId.of("node-a")), Value.of("v"));

  private final AtomicReference<Answer> answer = new AtomicReference<>();
  private final AtomicReference<byte[]> received = new AtomicReference<>();
  private Javalin peer;
  private OkHttpClient http;
  private HttpPeerClient client;
  private Endpoint at;

  private record Answer(int status, String contentType, byte[] body) {}

  @BeforeEach
  void start() {
    peer =
        Javalin.create(
                config ->
                    config.routes.post(
                        "/internal/batch",
                        ctx -> {
                          received.set(ctx.bodyAsBytes());
                          Answer a = answer.get();
                          ctx.status(a.status()).contentType(a.contentType()).result(a.body());
                        }))
            .start("127.0.0.1", 0);
    at = Endpoint.parse("127.0.0.1:" + peer.port());
    http = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(5)).build();
    client =
        new HttpPeerClient(
            http,
            ClusterToken.of(Optional.of("secret")),
            new ObjectMapper(),
            new SimpleMeterRegistry());
  }

  @AfterEach
  void stop() {
    peer.stop();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  private void peerAnswers(List<ReplicaReply> replies) {
    answer.set(new Answer(200, "application/octet-stream", BatchCodec.encodeReplies(replies)));
  }

  private void peerRefusesTheBatch(int status, String error) {
    answer.set(
        new Answer(
            status,
            "application/json",
            ("{\"error\":\"" + error + "\",\"message\":\"nope\"}").getBytes()));
  }

  private static ErrorCode failureCode(CompletableFuture<?> call) throws Exception {
    Throwable error = call.handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
    assertThat(error).isNotNull();
    Throwable cause = error.getCause() != null ? error.getCause() : error;
    assertThat(cause).isInstanceOf(KvException.class);
    return ((KvException) cause).code();
  }

  @Test
  void operationsTravelAsABatchAndRepliesComeBackPerOperation() throws Exception {
    peerAnswers(List.of(new ReplicaReply.Found(RECORD)));
    assertThat(client.read(at, Key.of("k")).get(10, TimeUnit.SECONDS)).contains(RECORD);
    assertThat(BatchCodec.decodeOps(received.get()))
        .containsExactly(new ReplicaOp.Read(Key.of("k")));

    peerAnswers(List.of(new ReplicaReply.Missing()));
    assertThat(client.read(at, Key.of("k")).get(10, TimeUnit.SECONDS)).isEmpty();

    peerAnswers(List.of(new ReplicaReply.Written()));
    client.writeHint(at, NodeId.of("node-b"), Key.of("h"), RECORD).get(10, TimeUnit.SECONDS);
    assertThat(BatchCodec.decodeOps(received.get()))
        .containsExactly(
            new ReplicaOp.Write(Key.of("h"), RECORD, Optional.of(NodeId.of("node-b")), 0));
  }

  @Test
  void aReplicasVerdictOnOneOperationKeepsItsCode() throws Exception {
    peerAnswers(List.of(new ReplicaReply.Failed(ErrorCode.VALUE_TOO_LARGE, "too big")));
    assertThat(failureCode(client.write(at, Key.of("k"), RECORD)))
        .isEqualTo(ErrorCode.VALUE_TOO_LARGE);
  }

  @Test
  void aBatchRefusedAsAWholeIsTheReplicaFailingNotTheClientsFault() throws Exception {
    peerRefusesTheBatch(
        400, "bad_request"); // a codec bug must not fail the client's request as a 400
    assertThat(failureCode(client.write(at, Key.of("k"), RECORD))).isEqualTo(ErrorCode.UNAVAILABLE);

    peerRefusesTheBatch(404, "not_found"); // a peer that does not know batches
    assertThat(failureCode(client.read(at, Key.of("k")))).isEqualTo(ErrorCode.UNAVAILABLE);

    peerRefusesTheBatch(401, "unauthorized");
    assertThat(failureCode(client.read(at, Key.of("k")))).isEqualTo(ErrorCode.UNAUTHORIZED);

    peerRefusesTheBatch(503, "overloaded");
    assertThat(failureCode(client.read(at, Key.of("k")))).isEqualTo(ErrorCode.OVERLOADED);
  }

  @Test
  void repliesThatDoNotMatchTheBatchFailTheCall() throws Exception {
    peerAnswers(List.of(new ReplicaReply.Written(), new ReplicaReply.Written()));
    assertThat(failureCode(client.write(at, Key.of("k"), RECORD))).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void anUnreachablePeerIsUnavailable() throws Exception {
    Endpoint closed = at;
    peer.stop();
    assertThat(failureCode(client.read(closed, Key.of("k")))).isEqualTo(ErrorCode.UNAVAILABLE);
  }
}
