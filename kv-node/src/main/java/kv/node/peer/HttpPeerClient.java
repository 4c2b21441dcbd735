package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import kv.node.version.Version;
import kv.node.version.Versioned;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * {@link PeerClient} over HTTP/1.1 with OkHttp: values travel as raw bytes, the key in the query
 * string, the cluster token in a header. Calls are asynchronous on the shared client's
 * dispatcher and connection pool, each bounded by the client's call timeout.
 */
public final class HttpPeerClient implements PeerClient {
  private static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

  private final PeerCalls calls;
  private final ClusterToken token;
  /**
   * Each peer's internal URL, parsed once (a handful of entries, one per address ever called):
   * building it for every call canonicalized the host and encoded the path again each time.
   */
  private final Map<Endpoint, HttpUrl> baseUrls = new ConcurrentHashMap<>();

  public HttpPeerClient(OkHttpClient client, ClusterToken token, ObjectMapper mapper) {
    this.calls = new PeerCalls(client, mapper);
    this.token = token;
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
          : Versioned.live(version, Value.copyOf(PeerCalls.body(response))));
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
      Endpoint peer, Request.Builder request, Function<Response, T> onAnswer) {
    return calls.send(peer, request.build(), HttpPeerClient::answered, onAnswer);
  }

  /** Success, or a read's 404: the peer holds no record of the key. */
  private static boolean answered(Response response) {
    return response.isSuccessful()
        || (response.code() == 404 && response.request().method().equals("GET"));
  }
}
