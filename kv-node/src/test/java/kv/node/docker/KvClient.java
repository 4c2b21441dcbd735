package kv.node.docker;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import kv.common.Json;
import kv.common.NodeId;
import kv.common.wire.ErrorBody;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;

/**
 * The client API, introspection and the seed's member list over plain HTTP, as curl would call
 * them. Every call is bounded: 2 s to connect, 10 s for the answer.
 */
final class KvClient {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(CONNECT_TIMEOUT)
          .build();
  private final ObjectMapper mapper = Json.newMapper();

  HttpResponse<byte[]> put(URI node, String key, byte[] value) {
    return send(request(node, "/put?key=" + encode(key)).PUT(BodyPublishers.ofByteArray(value)));
  }

  HttpResponse<byte[]> get(URI node, String key) {
    return send(request(node, "/get?key=" + encode(key)).GET());
  }

  HttpResponse<byte[]> delete(URI node, String key) {
    return send(request(node, "/delete?key=" + encode(key)).DELETE());
  }

  Location locate(URI node, String key) {
    return json(request(node, "/locate?key=" + encode(key)).GET(), Location.class);
  }

  ClusterInfo cluster(URI node) {
    return json(request(node, "/cluster").GET(), ClusterInfo.class);
  }

  MembershipView members(URI seed) {
    return json(request(seed, "/members").GET(), MembershipView.class);
  }

  /** A request with no cluster token: what a stranger on the network can send. */
  HttpResponse<byte[]> unauthenticated(String method, URI base, String path, String json) {
    return send(
        request(base, path)
            .header("Content-Type", "application/json")
            .method(
                method, json == null ? BodyPublishers.noBody() : BodyPublishers.ofString(json)));
  }

  /** The JSON error body every non-2xx answer carries. */
  ErrorBody error(HttpResponse<byte[]> response) {
    return read(response.body(), ErrorBody.class);
  }

  /**
   * Percent-encodes a query value as RFC 3986 asks: every byte but letters, digits and {@code -._*}
   * is escaped, a space is {@code %20} and a {@code +} is {@code %2B}.
   */
  static String encode(String value) {
    return URLEncoder.encode(value, UTF_8).replace("+", "%20");
  }

  private <T> T json(HttpRequest.Builder request, Class<T> type) {
    HttpResponse<byte[]> response = send(request);
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          response.request().method()
              + " "
              + response.uri()
              + " answered "
              + response.statusCode()
              + ": "
              + new String(response.body(), UTF_8));
    }
    return read(response.body(), type);
  }

  private <T> T read(byte[] body, Class<T> type) {
    try {
      return mapper.readValue(body, type);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "not a " + type.getSimpleName() + ": " + new String(body, UTF_8), e);
    }
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an answer", e);
    }
  }

  private static HttpRequest.Builder request(URI base, String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(REQUEST_TIMEOUT);
  }

  /** {@code GET /locate}: the key's preference list as the asked node's ring has it. */
  record Location(String key, String token, List<MemberInfo> preferenceList) {
    Set<NodeId> owners() {
      return preferenceList.stream().map(MemberInfo::id).collect(Collectors.toSet());
    }
  }

  /** {@code GET /cluster}: the members as one node sees them; {@code self} is its own id. */
  record ClusterInfo(String self, long version, int replicationFactor, List<Member> members) {
    Set<NodeId> memberIds() {
      return members.stream().map(Member::id).collect(Collectors.toSet());
    }
  }

  /** One member in {@link ClusterInfo}. */
  record Member(NodeId id, String address, double ringShare, boolean self) {}
}
