package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Futures;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.BodyLimits;
import kv.node.protocol.PeerClient;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.version.Version;
import kv.node.version.Versioned;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * {@link PeerClient} over HTTP/1.1 with OkHttp. Operations to each peer are coalesced by a {@link
 * PeerBatcher} and travel as {@code POST /internal/batch} in {@link BatchCodec} frames (values as
 * raw bytes), the cluster token in a header, asynchronously on the shared client's dispatcher and
 * connection pool, each batch bounded by the client's call timeout.
 */
public final class HttpPeerClient implements PeerClient {
  /** Batches on their way to one peer at once: enough to keep its cores busy. */
  static final int MAX_BATCHES_IN_FLIGHT = 4;

  /**
   * Operations per batch. With 128, a replica that fell behind under saturation (the quorum does
   * not wait for the slowest of three) could never catch up: 4 batches of 128 per round trip, and
   * about 5 % of its writes expired in the queue and became hints. A backlog now drains in larger
   * batches, up to {@link #MAX_BATCH_BYTES}.
   */
  static final int MAX_BATCH_OPS = 1024;

  /** A batch's size, beyond its first operation (which may carry a value of MAX_VALUE_BYTES). */
  static final int MAX_BATCH_BYTES = BodyLimits.BATCH_BYTES;

  private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

  private final PeerCalls calls;
  private final ClusterToken token;
  private final Duration maxWait;
  private final Map<Endpoint, PeerBatcher> batchers = new ConcurrentHashMap<>();
  private final BatchMetrics metrics;

  public HttpPeerClient(
      OkHttpClient client, ClusterToken token, ObjectMapper mapper, MeterRegistry registry) {
    this.calls = new PeerCalls(client, mapper);
    this.token = token;
    this.maxWait = Duration.ofMillis(client.callTimeoutMillis());
    this.metrics = new BatchMetrics(registry, this::queued);
  }

  @Override
  public CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key) {
    return submit(peer, new ReplicaOp.Read(key))
        .thenApply(
            reply -> {
              if (reply instanceof ReplicaReply.Found found) {
                return Optional.of(found.record());
              }
              if (reply instanceof ReplicaReply.Missing) {
                return Optional.empty();
              }
              throw failure(peer, reply);
            });
  }

  @Override
  public CompletableFuture<Optional<Version>> write(
      Endpoint peer, Key key, Versioned record, long placedOn) {
    return write(peer, new ReplicaOp.Write(key, record, Optional.empty(), placedOn));
  }

  @Override
  public CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record) {
    return write(
            peer, new ReplicaOp.Write(key, record, Optional.of(owner), ReplicaOp.Write.UNPLACED))
        .thenApply(held -> null); // a hint is kept whatever the peer holds itself
  }

  private CompletableFuture<Optional<Version>> write(Endpoint peer, ReplicaOp.Write op) {
    return submit(peer, op)
        .thenApply(
            reply -> {
              if (reply instanceof ReplicaReply.Written) {
                return Optional.empty();
              }
              if (reply instanceof ReplicaReply.Superseded superseded) {
                return Optional.of(superseded.held());
              }
              throw failure(peer, reply);
            });
  }

  private CompletableFuture<ReplicaReply> submit(Endpoint peer, ReplicaOp op) {
    return batchers.computeIfAbsent(peer, this::batcher).submit(op);
  }

  private PeerBatcher batcher(Endpoint peer) {
    HttpUrl url =
        new HttpUrl.Builder()
            .scheme("http")
            .host(peer.host())
            .port(peer.port())
            .addPathSegments(ReplicaHeaders.BATCH_PATH.substring(1))
            .build();
    return new PeerBatcher(
        ops -> send(peer, url, ops),
        MAX_BATCHES_IN_FLIGHT,
        MAX_BATCH_OPS,
        MAX_BATCH_BYTES,
        maxWait,
        System::nanoTime,
        metrics);
  }

  private int queued() {
    int queued = 0;
    for (PeerBatcher batcher : batchers.values()) {
      queued += batcher.queued();
    }
    return queued;
  }

  private CompletableFuture<List<ReplicaReply>> send(
      Endpoint peer, HttpUrl url, List<ReplicaOp> ops) {
    Request.Builder request =
        new Request.Builder()
            .url(url)
            .post(RequestBody.create(BatchCodec.encodeOps(ops), OCTET_STREAM));
    token.headerValue().ifPresent(secret -> request.header(ClusterToken.HEADER, secret));
    return calls
        .send(
            peer,
            request.build(),
            response -> response.isSuccessful(),
            response -> BatchCodec.decodeReplies(PeerCalls.body(response), ops.size()))
        .exceptionallyCompose(HttpPeerClient::asReplicaFailure);
  }

  /**
   * A batch refused as a whole says nothing about the client's request (a 400 there is a codec bug,
   * a 404 a peer too old to know batches): it is the replica failing, which a quorum counts and
   * hinted handoff covers, never the client's fault. Only the peer's own verdict on the caller
   * (401) keeps its code.
   */
  private static <T> CompletableFuture<T> asReplicaFailure(Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof KvException kv
        && kv.code().httpStatus() < 500
        && kv.code() != ErrorCode.UNAUTHORIZED) {
      return CompletableFuture.failedFuture(
          new KvException(
              ErrorCode.UNAVAILABLE, kv.getMessage() + " (the whole batch was refused)"));
    }
    return CompletableFuture.failedFuture(cause);
  }

  private static KvException failure(Endpoint peer, ReplicaReply reply) {
    if (reply instanceof ReplicaReply.Failed failed) {
      return new KvException(failed.code(), "node at " + peer + ": " + failed.message());
    }
    return new KvException(
        ErrorCode.UNAVAILABLE,
        "node at " + peer + " answered " + reply + " to the wrong operation");
  }
}
