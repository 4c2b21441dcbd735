package kv.node.membership;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Blocking calls to the seed, made from the membership task only (never on a client request). */
public final class SeedClient {
  private static final MediaType JSON = MediaType.get("application/json");

  private final OkHttpClient client;
  private final HttpUrl seed;
  private final ClusterToken token;
  private final ObjectMapper mapper;

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

  public HttpUrl url() {
    return seed;
  }

  private <T> T post(String path, Object body, Class<T> answer) {
    try {
      Request.Builder request = new Request.Builder()
          .url(seed.newBuilder().addPathSegment(path).build())
          .post(RequestBody.create(mapper.writeValueAsBytes(body), JSON));
      token.headerValue().ifPresent(secret -> request.header(ClusterToken.HEADER, secret));
      try (Response response = client.newCall(request.build()).execute()) {
        byte[] bytes = response.body().bytes();
        if (!response.isSuccessful()) {
          ErrorBody error = mapper.readValue(bytes, ErrorBody.class);
          throw new KvException(ErrorCode.fromWire(error.error()).orElse(ErrorCode.UNAVAILABLE),
              "seed refused " + path + ": " + error.message());
        }
        return mapper.readValue(bytes, answer);
      }
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "seed at " + seed + " unreachable: " + e);
    }
  }
}
