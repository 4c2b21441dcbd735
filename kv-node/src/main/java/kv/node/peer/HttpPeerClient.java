package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.ErrorBody;
import kv.node.version.Version;
import kv.node.version.Versioned;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * {@link PeerClient} over HTTP/1.1 with OkHttp: values travel as raw bytes, the key in the query
 * string, the cluster token in a header. Calls are asynchronous on the shared client's
 * dispatcher and connection pool, each bounded by the client's call timeout.
 */
public final class HttpPeerClient implements PeerClient {
  private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

  private final OkHttpClient client;
  private final ClusterToken token;
  private final ObjectMapper mapper;
  /**
   * Each peer's internal URL, parsed once (a handful of entries, one per address ever called):
   * building it for every call canonicalized the host and encoded the path again each time.
   */
  private final Map<Endpoint, HttpUrl> baseUrls = new ConcurrentHashMap<>();

  public HttpPeerClient(OkHttpClient client, ClusterToken token, ObjectMapper mapper) {
    this.client = client;
    this.token = token;
    this.mapper = mapper;
  }

  @Override
  public CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key) {
    return send(peer, request(peer, key).get(), response -> {
      if (response.code() == 404) {
        return Optional.empty();
      }
      Version version = Version.parse(response.header(ReplicaHeaders.VERSION));
      return Optional.of("true".equals(response.header(ReplicaHeaders.TOMBSTONE))
          ? Versioned.tombstone(version)
          : Versioned.live(version, Value.copyOf(bytes(response))));
    });
  }

  @Override
  public CompletableFuture<Void> write(Endpoint peer, Key key, Versioned record) {
    return write(peer, request(peer, key), record);
  }

  @Override
  public CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record) {
    HttpUrl url = url(peer, key).newBuilder()
        .addQueryParameter(ReplicaHeaders.HINT, owner.value()).build();
    return write(peer, authenticated(url), record);
  }

  private CompletableFuture<Void> write(Endpoint peer, Request.Builder request, Versioned record) {
    request
        .header(ReplicaHeaders.VERSION, record.version().toString())
        .put(RequestBody.create(record.value().toBytes(), OCTET_STREAM));
    if (record.isTombstone()) {
      request.header(ReplicaHeaders.TOMBSTONE, "true");
    }
    return send(peer, request, response -> null);
  }

  private Request.Builder request(Endpoint peer, Key key) {
    return authenticated(url(peer, key));
  }

  private HttpUrl url(Endpoint peer, Key key) {
    return baseUrls.computeIfAbsent(peer, HttpPeerClient::baseUrl).newBuilder()
        .addQueryParameter("key", key.value()).build();
  }

  private Request.Builder authenticated(HttpUrl url) {
    Request.Builder builder = new Request.Builder().url(url);
    token.headerValue().ifPresent(secret -> builder.header(ClusterToken.HEADER, secret));
    return builder;
  }

  private static HttpUrl baseUrl(Endpoint peer) {
    return new HttpUrl.Builder().scheme("http").host(peer.host()).port(peer.port())
        .addPathSegments(ReplicaHeaders.PATH.substring(1)).build();
  }

  private <T> CompletableFuture<T> send(
      Endpoint peer, Request.Builder request, Function<Response, T> onSuccess) {
    CompletableFuture<T> result = new CompletableFuture<>();
    client.newCall(request.build()).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        ErrorCode code = e instanceof InterruptedIOException ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
        result.completeExceptionally(
            new KvException(code, "node at " + peer + " did not answer: " + e));
      }

      @Override
      public void onResponse(Call call, Response response) {
        try (response) {
          if (response.isSuccessful() || isAbsent(call, response)) {
            result.complete(onSuccess.apply(response));
          } else {
            result.completeExceptionally(failure(peer, response));
          }
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      }
    });
    return result;
  }

  private static boolean isAbsent(Call call, Response response) {
    return response.code() == 404 && call.request().method().equals("GET");
  }

  private KvException failure(Endpoint peer, Response response) {
    try {
      ErrorBody body = mapper.readValue(bytes(response), ErrorBody.class);
      ErrorCode code = ErrorCode.fromWire(body.error()).orElse(ErrorCode.UNAVAILABLE);
      return new KvException(code, "node at " + peer + ": " + body.message());
    } catch (IOException | RuntimeException e) {
      return new KvException(ErrorCode.UNAVAILABLE,
          "node at " + peer + " answered " + response.code() + " without an error body");
    }
  }

  private static byte[] bytes(Response response) {
    ResponseBody body = response.body();
    try {
      return body.bytes();
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "reading a peer's answer failed: " + e);
    }
  }
}
