package kv.seed;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.wire.MembershipView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Bodies that end before their {@code Content-Length} (a client that half-closes) or exceed the
 * seed's body limit, sent as raw bytes: a 4xx JSON error, no ERROR in the log, and the registry
 * exactly as it was.
 */
class TruncatedBodyTest {
  private static final String TOKEN = "s3cret";
  private final ObjectMapper json = new ObjectMapper();
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final SeedServer seed =
      SeedServer.startManual(
          SeedConfig.forTests().withToken(ClusterToken.of(Optional.of(TOKEN))), clock);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void registerOneNodeAndWatchTheLog() {
    seed.registry()
        .register(
            Optional.of(NodeId.of("stays")), Endpoint.parse("stays-host:8080"), Optional.empty());
    logged.start();
    root.addAppender(logged);
  }

  @AfterEach
  void stop() {
    root.detachAppender(logged);
    seed.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/register", "/heartbeat", "/deregister"})
  void aBodyCutShortOfItsContentLengthIs400AndChangesNothing(String path) throws IOException {
    MembershipView before = seed.registry().view();
    String body = "{\"nodeId\":\"stays\"";
    String answer =
        exchange(
            "POST "
                + path
                + " HTTP/1.1\r\nHost: seed\r\n"
                + ClusterToken.HEADER
                + ": "
                + TOKEN
                + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + (body.length() + 40)
                + "\r\n\r\n"
                + body);

    assertThat(answer).startsWith("HTTP/1.1 400 ");
    JsonNode error = json.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(error.get("error").asText()).isEqualTo("bad_request");
    assertThat(error.get("message").asText()).contains("request body").doesNotContain("null");
    assertThat(seed.registry().view()).isEqualTo(before);
    assertThat(logged.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/register", "/heartbeat", "/deregister"})
  void aDeclaredBodyOverTheLimitIs413AndChangesNothing(String path) throws IOException {
    MembershipView before = seed.registry().view();
    String answer =
        exchange(
            "POST "
                + path
                + " HTTP/1.1\r\nHost: seed\r\n"
                + ClusterToken.HEADER
                + ": "
                + TOKEN
                + "\r\nContent-Length: 100000\r\n\r\n"
                + "{\"nodeId\":\"stays\"");

    assertThat(answer).startsWith("HTTP/1.1 413 ");
    JsonNode error = json.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(error.get("error").asText()).isEqualTo("value_too_large");
    assertThat(error.get("message").asText()).contains("4096 bytes");
    assertThat(seed.registry().view()).isEqualTo(before);
  }

  @Test
  void aChunkedBodyOverTheLimitIs413AndChangesNothing() throws IOException {
    MembershipView before = seed.registry().view();
    String padding = " ".repeat(5000);
    String body = "{\"nodeId\":\"stays\"" + padding + "}";
    String answer =
        exchange(
            "POST /deregister HTTP/1.1\r\nHost: seed\r\n"
                + ClusterToken.HEADER
                + ": "
                + TOKEN
                + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(body.length())
                + "\r\n"
                + body
                + "\r\n0\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 413 ");
    assertThat(seed.registry().view()).isEqualTo(before);
  }

  /** Sends {@code request}, half-closes, and reads the whole answer. */
  private String exchange(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", seed.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      in.transferTo(answer);
      return answer.toString(StandardCharsets.UTF_8);
    }
  }
}
