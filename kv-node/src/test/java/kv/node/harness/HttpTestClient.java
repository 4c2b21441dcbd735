package kv.node.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain HTTP client for tests: the JDK's, so tests exercise the API as any caller would. */
public final class HttpTestClient {
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public HttpResponse<byte[]> put(String baseUrl, String key, byte[] value) {
    return put(baseUrl, key, value, "");
  }

  /** {@code params} is appended to the query as is, e.g. {@code "&w=all"}. */
  public HttpResponse<byte[]> put(String baseUrl, String key, byte[] value, String params) {
    return send(
        request(baseUrl, "/put?key=" + encode(key) + params)
            .PUT(BodyPublishers.ofByteArray(value))
            .build());
  }

  public HttpResponse<byte[]> get(String baseUrl, String key) {
    return get(baseUrl, key, "");
  }

  public HttpResponse<byte[]> get(String baseUrl, String key, String params) {
    return send(request(baseUrl, "/get?key=" + encode(key) + params).GET().build());
  }

  public HttpResponse<byte[]> delete(String baseUrl, String key) {
    return delete(baseUrl, key, "");
  }

  public HttpResponse<byte[]> delete(String baseUrl, String key, String params) {
    return send(request(baseUrl, "/delete?key=" + encode(key) + params).DELETE().build());
  }

  /** Any method on any path and raw (already encoded) query. */
  public HttpResponse<byte[]> send(
      String method, String baseUrl, String pathAndQuery, byte[] body) {
    return send(
        request(baseUrl, pathAndQuery)
            .method(
                method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body))
            .build());
  }

  public HttpResponse<byte[]> send(HttpRequest request) {
    try {
      return client.send(request, BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public static String encode(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8); // '+' becomes %2B, ' ' becomes '+'
  }

  public static HttpRequest.Builder request(String baseUrl, String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
        .timeout(Duration.ofSeconds(10));
  }
}
