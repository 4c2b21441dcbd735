package kv.node.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import kv.common.ClusterToken;
import kv.common.NodeCredential;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.DeregisterRequest;
import kv.common.wire.ErrorBody;
import kv.common.wire.HeartbeatRequest;
import kv.common.wire.MembershipView;
import kv.common.wire.RegisterRequest;
import kv.common.wire.RegisterResponse;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Blocking calls to the seed, made from the membership threads only (never on a client request):
 * registration and heartbeats, the blocking query that watches the list, and a plain read of it.
 */
public final class SeedClient {
  private static final MediaType JSON = MediaType.get("application/json");

  /** How long a watch may outlast its {@code wait} before the node gives up on the answer. */
  private static final Duration WATCH_SLACK = Duration.ofSeconds(5);

  private final OkHttpClient client;
  private final HttpUrl seed;
  private final ClusterToken token;
  private final ObjectMapper mapper;
  private volatile Call watching; // the watch in flight, cancelled by cancelWatch()

  public SeedClient(OkHttpClient client, HttpUrl seed, ClusterToken token, ObjectMapper mapper) {
    this.client = client;
    this.seed = seed;
    this.token = token;
    this.mapper = mapper;
  }

  public RegisterResponse register(RegisterRequest request) {
    return post("register", request, RegisterResponse.class);
  }

  /**
   * The current list; fails with {@code UNKNOWN_NODE} when the seed no longer knows this id, and
   * with {@code WRONG_CREDENTIAL} when it is registered with another credential.
   */
  public MembershipView heartbeat(NodeId id, NodeCredential credential) {
    return post("heartbeat", new HeartbeatRequest(id, credential), MembershipView.class);
  }

  /**
   * Tells the seed this node is leaving, so it drops it now rather than after NODE_TTL; fails with
   * {@code UNKNOWN_NODE} when the seed does not know the id (already expired, or restarted).
   */
  public MembershipView deregister(NodeId id, NodeCredential credential) {
    return post("deregister", new DeregisterRequest(id, credential), MembershipView.class);
  }

  /**
   * The list once its version differs from {@code index}, or the unchanged list after {@code wait}:
   * a blocking query that the seed holds open. {@link #cancelWatch()} ends it early.
   */
  public MembershipView watch(long index, Duration wait) {
    HttpUrl url =
        seed.newBuilder()
            .addPathSegment("members")
            .addQueryParameter("index", Long.toString(index))
            .addQueryParameter("wait", wait.toMillis() + "ms")
            .build();
    Call call =
        client
            .newBuilder()
            .readTimeout(wait.plus(WATCH_SLACK))
            .callTimeout(wait.plus(WATCH_SLACK))
            .build()
            .newCall(request(url).get().build());
    watching = call;
    try {
      return execute(call, "watch", MembershipView.class);
    } finally {
      watching = null;
    }
  }

  /** Ends the watch in flight, if any: it fails at once with {@code UNAVAILABLE}. */
  public void cancelWatch() {
    Call call = watching;
    if (call != null) {
      call.cancel();
    }
  }

  /** The current list, without waiting. */
  public MembershipView members() {
    HttpUrl url = seed.newBuilder().addPathSegment("members").build();
    return execute(client.newCall(request(url).get().build()), "members", MembershipView.class);
  }

  public HttpUrl url() {
    return seed;
  }

  private <T> T post(String path, Object body, Class<T> answer) {
    byte[] json;
    try {
      json = mapper.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize " + body, e);
    }
    HttpUrl url = seed.newBuilder().addPathSegment(path).build();
    return execute(
        client.newCall(request(url).post(RequestBody.create(json, JSON)).build()), path, answer);
  }

  private Request.Builder request(HttpUrl url) {
    Request.Builder request = new Request.Builder().url(url);
    token.headerValue().ifPresent(secret -> request.header(ClusterToken.HEADER, secret));
    return request;
  }

  private <T> T execute(Call call, String what, Class<T> answer) {
    try (Response response = call.execute()) {
      byte[] bytes = response.body().bytes();
      if (!response.isSuccessful()) {
        throw refusal(what, response.code(), bytes);
      }
      return mapper.readValue(bytes, answer);
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "seed at " + seed + " unreachable: " + e);
    }
  }

  private KvException refusal(String what, int status, byte[] body) {
    try {
      ErrorBody error = mapper.readValue(body, ErrorBody.class);
      return new KvException(
          ErrorCode.fromWire(error.error()).orElse(ErrorCode.UNAVAILABLE),
          "seed refused " + what + ": " + error.message());
    } catch (IOException e) {
      return new KvException(
          ErrorCode.UNAVAILABLE,
          "seed answered " + what + " with " + status + " and no JSON error body");
    }
  }
}
