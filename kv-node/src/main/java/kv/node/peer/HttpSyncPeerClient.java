package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.SyncPeerClient;
import kv.node.protocol.SyncProtocol;
import kv.node.protocol.SyncRecord;
import kv.node.ring.TokenRange;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * {@link SyncPeerClient} over HTTP with OkHttp: tree leaves and records travel as raw bytes, the
 * range in the query string, the cluster token in a header. Give it a client whose call timeout
 * suits range transfers, which carry more than one value.
 */
public final class HttpSyncPeerClient implements SyncPeerClient {
  private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

  private final PeerCalls calls;
  private final ClusterToken token;

  public HttpSyncPeerClient(OkHttpClient client, ClusterToken token, ObjectMapper mapper) {
    this.calls = new PeerCalls(client, mapper);
    this.token = token;
  }

  @Override
  public CompletableFuture<TreeReply> merkle(Endpoint peer, TokenRange range, int depth) {
    HttpUrl url =
        url(peer, SyncProtocol.MERKLE, range)
            .newBuilder()
            .addQueryParameter("depth", Integer.toString(depth))
            .build();
    return send(
        peer,
        request(url).get(),
        response -> {
          ByteBuffer bytes = ByteBuffer.wrap(PeerCalls.body(response));
          long[] leaves = new long[bytes.remaining() / Long.BYTES];
          bytes.asLongBuffer().get(leaves);
          return new TreeReply(
              MerkleTree.ofLeaves(range, leaves),
              "true".equals(response.header(SyncProtocol.PENDING)),
              viewVersion(response));
        });
  }

  @Override
  public CompletableFuture<RangePage> fetch(Endpoint peer, TokenRange range) {
    return send(
        peer,
        request(url(peer, SyncProtocol.RANGE, range)).get(),
        response -> {
          String resume = response.header(SyncProtocol.RESUME_AFTER);
          List<SyncRecord> records = RecordCodec.decode(PeerCalls.body(response));
          return new RangePage(
              records,
              resume == null ? OptionalLong.empty() : OptionalLong.of(resumeToken(peer, resume)));
        });
  }

  private static long resumeToken(Endpoint peer, String header) {
    try {
      return Long.parseLong(header);
    } catch (NumberFormatException e) {
      throw new KvException(
          ErrorCode.UNAVAILABLE,
          "node at " + peer + " sent a malformed " + SyncProtocol.RESUME_AFTER + ": " + header);
    }
  }

  @Override
  public CompletableFuture<Void> push(Endpoint peer, List<SyncRecord> records) {
    HttpUrl url = base(peer).addPathSegments(SyncProtocol.RECORDS.substring(1)).build();
    return send(
        peer,
        request(url).post(RequestBody.create(RecordCodec.encode(records), OCTET_STREAM)),
        response -> null);
  }

  private static long viewVersion(Response response) {
    try {
      return Long.parseLong(response.header(ReplicaHeaders.VIEW, "0"));
    } catch (NumberFormatException e) {
      return 0; // says nothing usable: treated as the oldest list
    }
  }

  private static HttpUrl url(Endpoint peer, String path, TokenRange range) {
    return base(peer)
        .addPathSegments(path.substring(1))
        .addQueryParameter("start", Long.toString(range.start()))
        .addQueryParameter("end", Long.toString(range.end()))
        .build();
  }

  private static HttpUrl.Builder base(Endpoint peer) {
    return new HttpUrl.Builder().scheme("http").host(peer.host()).port(peer.port());
  }

  private Request.Builder request(HttpUrl url) {
    Request.Builder builder = new Request.Builder().url(url);
    token.headerValue().ifPresent(secret -> builder.header(ClusterToken.HEADER, secret));
    return builder;
  }

  private <T> CompletableFuture<T> send(
      Endpoint peer, Request.Builder request, Function<Response, T> onSuccess) {
    return calls.send(peer, request.build(), Response::isSuccessful, onSuccess);
  }
}
