package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.ReplicaOp;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets a 4xx with a JSON error body saying what was wrong, and changes
 * nothing: after each case, the sentinel keys written first still read back unchanged and no other
 * key exists.
 */
class BadInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestCluster cluster;
  private static String node;
  private static String other;
  private static final HttpTestClient client = new HttpTestClient();

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(3);
    node = cluster.url(cluster.id(1));
    other = cluster.url(cluster.id(2));
    for (int i = 0; i < 30; i++) {
      client.put(node, "sentinel-" + i, ("value-" + i).getBytes(StandardCharsets.UTF_8), "&w=all");
    }
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  static Stream<Arguments> badRequests() {
    String longKey = "k".repeat(1025);
    String longUtf8Key = "é".repeat(513); // 1026 bytes of UTF-8
    return Stream.of(
        Arguments.of("PUT", "/put", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?other=1", "x", 400, "bad_request"),
        Arguments.of("GET", "/get", null, 400, "bad_request"),
        Arguments.of("GET", "/get?key=", null, 400, "bad_request"),
        Arguments.of("DELETE", "/delete", null, 400, "bad_request"),
        Arguments.of("DELETE", "/delete?key=", null, 400, "bad_request"),
        Arguments.of("PUT", "/put?key=" + longKey, "x", 400, "bad_request"),
        Arguments.of(
            "GET", "/get?key=" + HttpTestClient.encode(longUtf8Key), null, 400, "bad_request"),
        Arguments.of("PUT", "/put?key=%zz", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=abc%", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=abc%4", "x", 400, "bad_request"),
        Arguments.of("GET", "/get?key=%FF%FE", null, 400, "bad_request"),
        Arguments.of("DELETE", "/delete?key=%C3%28", null, 400, "bad_request"),
        Arguments.of("POST", "/put?key=sentinel-1", "x", 405, "method_not_allowed"),
        Arguments.of("GET", "/put?key=sentinel-1", null, 405, "method_not_allowed"),
        Arguments.of("POST", "/get?key=sentinel-1", "x", 405, "method_not_allowed"),
        Arguments.of("PUT", "/delete?key=sentinel-1", "x", 405, "method_not_allowed"),
        Arguments.of("PATCH", "/put?key=sentinel-1", "x", 405, "method_not_allowed"),
        Arguments.of("GET", "/nope", null, 404, "not_found"),
        Arguments.of("PUT", "/", "x", 404, "not_found"),
        Arguments.of("GET", "/get/extra?key=sentinel-1", null, 404, "not_found"),
        Arguments.of("GET", "/internal/kv?key=sentinel-1", null, 401, "unauthorized"),
        Arguments.of("PUT", "/internal/kv?key=sentinel-1", "evil", 401, "unauthorized"),
        Arguments.of("DELETE", "/internal/kv?key=sentinel-1", null, 401, "unauthorized"),
        Arguments.of("GET", "/internal/merkle?start=0&end=0", null, 401, "unauthorized"),
        Arguments.of("GET", "/internal/range?start=0&end=0", null, 401, "unauthorized"),
        Arguments.of("POST", "/internal/records", "evil", 401, "unauthorized"),
        Arguments.of("POST", "/internal/batch", "evil", 401, "unauthorized"),
        Arguments.of("GET", "/locate", null, 400, "bad_request"),
        Arguments.of("PUT", "/put?key=sentinel-1&w=0", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=sentinel-1&w=4", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=sentinel-1&w=", "x", 400, "bad_request"),
        Arguments.of("PUT", "/put?key=sentinel-1&w=most", "x", 400, "bad_request"),
        Arguments.of("DELETE", "/delete?key=sentinel-1&w=-1", null, 400, "bad_request"),
        Arguments.of("GET", "/get?key=sentinel-1&r=99", null, 400, "bad_request"),
        Arguments.of("GET", "/get?key=sentinel-1&r=1.5", null, 400, "bad_request"),
        Arguments.of("PUT", "/internal/kv?key=sentinel-1", "evil", 401, "unauthorized"));
  }

  @ParameterizedTest(name = "{0} {1} -> {3}")
  @MethodSource("badRequests")
  void badRequestGetsAClearJsonErrorAndChangesNothing(
      String method, String path, String body, int status, String code) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    // Raw bytes on a socket: a strict client would refuse to send some of these URIs at all.
    String answer =
        rawExchange(
            node,
            method
                + " "
                + path
                + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: "
                + content.length
                + "\r\nConnection: close\r\n\r\n",
            content);

    assertThat(answer).startsWith("HTTP/1.1 " + status + " ");
    assertJsonError(
        answer.substring(answer.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8), code);
    assertNothingChanged();
  }

  @Test
  void oversizedValueIs413WhetherDeclaredOrChunked() throws IOException {
    byte[] tooBig = new byte[(1 << 20) + 1];
    HttpResponse<byte[]> declared = client.put(node, "sentinel-3", tooBig);
    assertThat(declared.statusCode()).isEqualTo(413);
    assertJsonError(declared.body(), "value_too_large");

    String chunked =
        rawExchange(
            other,
            "PUT /put?key=sentinel-3 HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            chunks(tooBig));
    assertThat(chunked).startsWith("HTTP/1.1 413");
    assertThat(chunked).contains("\"error\":\"value_too_large\"");
    assertNothingChanged();
  }

  @Test
  void valueOfExactlyTheLimitIsAccepted() {
    byte[] limit = new byte[1 << 20];
    assertThat(client.put(node, "at-limit", limit).statusCode()).isEqualTo(204);
    assertThat(client.get(other, "at-limit").body()).hasSize(1 << 20);
    assertThat(client.delete(node, "at-limit").statusCode()).isEqualTo(204);
  }

  @Test
  void malformedRequestsOnTheWireGetJsonErrorsAndTheNodeStaysUp() throws IOException {
    String[] garbage = {
      "GARBAGE\r\n\r\n",
      "GET /get?key=%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /get?key=a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /get?key=x HTTP/1.1\r\nHost: x\r\nX-Big: "
          + "a".repeat(20_000)
          + "\r\nConnection: close\r\n\r\n",
      "PUT /put?key=x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n",
      "PUT /put?key=x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n",
      "GET /get?key=x HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n", // Jetty: 505 -> 400
      "GET /health HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    for (String request : garbage) {
      String answer = rawExchange(node, request, new byte[0]);
      assertThat(answer)
          .as("answer to %s", request.lines().findFirst().orElse(""))
          .matches("(?s)HTTP/1.1 4\\d\\d.*");
      assertThat(answer).contains("\"error\":");
    }
    assertThat(client.send("GET", node, "/health", null).statusCode()).isEqualTo(200);
    assertNothingChanged();
  }

  @Test
  void aMalformedReplicaBatchIs400AndAppliesNoneOfIt() throws IOException {
    Versioned newer =
        Versioned.live(
            new Version(Long.MAX_VALUE / 2, NodeId.of("node-x")), Value.of("overwritten"));
    byte[] batch =
        BatchCodec.encodeOps(
            List.of(
                new ReplicaOp.Write(Key.of("sentinel-1"), newer, Optional.empty(), 0),
                new ReplicaOp.Write(Key.of("sentinel-2"), newer, Optional.empty(), 0)));
    byte[] truncated = Arrays.copyOf(batch, batch.length - 1);
    byte[] unknownKind = batch.clone();
    unknownKind[batch.length / 2] = 9; // the second operation's kind (both are the same size)

    for (byte[] junk : List.of(truncated, unknownKind, "junk".getBytes(StandardCharsets.UTF_8))) {
      HttpResponse<byte[]> answer =
          client.send(
              HttpTestClient.request(node, "/internal/batch")
                  .header(ClusterToken.HEADER, "test-cluster-token")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(junk))
                  .build());

      assertThat(answer.statusCode()).isEqualTo(400);
      assertJsonError(answer.body(), "bad_request");
    }
    for (var id : cluster.liveNodes()) { // on the node itself: a quorum read might not ask it
      for (String key : List.of("sentinel-1", "sentinel-2")) {
        assertThat(cluster.node(id).storage().get(Key.of(key)).orElseThrow().value())
            .as("%s on %s", key, id)
            .isNotEqualTo(newer.value());
      }
    }
    assertNothingChanged();
  }

  @Test
  void anOversizedReplicaBatchIs413AndSaysItIsTheBatchLimit() throws IOException {
    byte[] tooBig = new byte[(256 << 10) + (1 << 20) + (1 << 16) + 1]; // the batch limit + 1
    // on its own connection: the node answers before reading the body and closes it
    String answer =
        rawExchange(
            node,
            "POST /internal/batch HTTP/1.1\r\nHost: x\r\n"
                + ClusterToken.HEADER
                + ": test-cluster-token\r\nContent-Length: "
                + tooBig.length
                + "\r\nConnection: close\r\n\r\n",
            tooBig);

    assertThat(answer).startsWith("HTTP/1.1 413 ");
    byte[] body = answer.substring(answer.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8);
    assertJsonError(body, "value_too_large");
    assertThat(JSON.readTree(body).get("message").asText())
        .startsWith("an operation batch is")
        .doesNotContain("(MAX_VALUE_BYTES)");
    assertNothingChanged();
  }

  @Test
  void rawBytesThatAreNotUtf8InTheQueryAre400LikeTheirPercentForm() throws IOException {
    byte[][] invalid = {
      {(byte) 0xe9}, {(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}
    }; // Latin-1 é, a byte UTF-8 never uses, a broken pair, a UTF-16 surrogate
    for (byte[] bytes : invalid) {
      for (String method : List.of("PUT", "GET", "DELETE")) {
        String path = "/" + method.toLowerCase(java.util.Locale.ROOT); // /put, /get, /delete
        String answer =
            rawExchange(
                node,
                concat(
                    method + " " + path + "?key=coll-",
                    bytes,
                    " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv"));
        assertThat(answer)
            .as("%s with %s", method, Arrays.toString(bytes))
            .startsWith("HTTP/1.1 400 ")
            .contains("\"error\":\"bad_request\"")
            .contains("not UTF-8");
      }
    }
    String name =
        rawExchange(
            node,
            concat(
                "GET /get?k",
                new byte[] {(byte) 0xff},
                "=1&key=sentinel-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assertThat(name).as("in a parameter name").startsWith("HTTP/1.1 400 ");
    assertNothingChanged();
  }

  @Test
  void rawUtf8AndTheReplacementCharacterPercentEncodedAreStillKeys() throws IOException {
    String raw =
        rawExchange(
            node,
            concat(
                "GET /locate?key=raw-",
                "é".getBytes(StandardCharsets.UTF_8),
                " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    assertThat(raw).startsWith("HTTP/1.1 200 ");
    assertThat(JSON.readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4)).get("key").asText())
        .isEqualTo("raw-é");
    HttpResponse<byte[]> encoded = client.send("GET", node, "/locate?key=raw-%EF%BF%BD", null);
    assertThat(encoded.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(encoded.body()).get("key").asText()).isEqualTo("raw-\uFFFD");
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    var out = new java.io.ByteArrayOutputStream();
    out.writeBytes(before.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static void assertJsonError(byte[] body, String code) throws IOException {
    JsonNode json = JSON.readTree(body);
    assertThat(json.get("error").asText()).isEqualTo(code);
    assertThat(json.get("message").asText()).isNotBlank();
  }

  private static void assertNothingChanged() {
    long stored =
        cluster.liveNodes().stream().map(cluster::node).mapToLong(n -> n.storage().size()).sum();
    assertThat(stored).as("records stored across the cluster (30 keys x 3 replicas)").isEqualTo(90);
    for (int i = 0; i < 30; i++) {
      assertThat(client.get(other, "sentinel-" + i).body())
          .isEqualTo(("value-" + i).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static byte[] chunks(byte[] data) {
    var out = new java.io.ByteArrayOutputStream();
    int chunk = 64 * 1024;
    for (int at = 0; at < data.length; at += chunk) {
      int len = Math.min(chunk, data.length - at);
      out.writeBytes((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data, at, len);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Writes {@code request} as is (raw bytes) and returns everything the node answers. */
  private static String rawExchange(String baseUrl, byte[] request) throws IOException {
    return rawExchange(baseUrl, request, new byte[0]);
  }

  private static String rawExchange(String baseUrl, String head, byte[] body) throws IOException {
    return rawExchange(baseUrl, head.getBytes(StandardCharsets.UTF_8), body);
  }

  /** Writes raw bytes to the node and returns everything it answers before closing. */
  private static String rawExchange(String baseUrl, byte[] head, byte[] body) throws IOException {
    java.net.URI uri = java.net.URI.create(baseUrl);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(head);
      try {
        out.write(body);
        out.flush();
      } catch (IOException serverClosedEarly) {
        // the server may answer and close before reading an oversized body; read its answer
      }
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
