package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import kv.node.protocol.ReplicaHeaders;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/** Reads a peer's member list ({@code GET /internal/view}), for a node catching up. */
public final class HttpViewClient {
  private final PeerCalls calls;
  private final ObjectMapper mapper;
  private final ClusterToken token;

  public HttpViewClient(OkHttpClient client, ClusterToken token, ObjectMapper mapper) {
    this.calls = new PeerCalls(client, mapper);
    this.mapper = mapper;
    this.token = token;
  }

  public CompletableFuture<MembershipView> view(Endpoint peer) {
    HttpUrl url =
        new HttpUrl.Builder()
            .scheme("http")
            .host(peer.host())
            .port(peer.port())
            .addPathSegments(ReplicaHeaders.VIEW_PATH.substring(1))
            .build();
    Request.Builder request = new Request.Builder().url(url).get();
    token.headerValue().ifPresent(secret -> request.header(ClusterToken.HEADER, secret));
    return calls.send(
        peer,
        request.build(),
        response -> response.isSuccessful(),
        response -> {
          try {
            return mapper.readValue(PeerCalls.body(response), MembershipView.class);
          } catch (IOException e) {
            throw new KvException(
                ErrorCode.UNAVAILABLE,
                "node at " + peer + " sent a member list that does not parse: " + e.getMessage());
          }
        });
  }
}
