package kv.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.LogCapture;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;
import kv.node.harness.HttpTestClient;
import kv.node.harness.TestCluster;
import kv.node.membership.MembershipWatcher;
import kv.node.ring.TokenRange;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;

/**
 * Issue 14's attacks on the membership, against a real seed and real nodes over HTTP: a stranger
 * without the cluster token, an impostor with it but without a member's credential, and a second
 * node started by mistake with a live node's id. After each, the seed's member list and every
 * node's data are exactly what they were.
 */
class MembershipSecurityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = TestCluster.TOKEN.headerValue().orElseThrow();
  private static final String FORGED = "A".repeat(43);
  private final HttpTestClient http = new HttpTestClient();

  @Test
  void aStrangerWithoutTheClusterTokenCannotRegisterHeartbeatOrDeregister() {
    try (var cluster = TestCluster.start(3)) {
      State before = State.of(cluster, writeKeys(cluster));
      for (String token : new String[] {null, "", "wrong", TOKEN + "x"}) {
        for (String[] call :
            List.of(
                new String[] {"/register", "{\"address\":\"127.0.0.1:1\"}"},
                new String[] {"/register", "{\"nodeId\":\"node-2\",\"address\":\"127.0.0.1:1\"}"},
                new String[] {"/heartbeat", "{\"nodeId\":\"node-1\"}"},
                new String[] {"/deregister", "{\"nodeId\":\"node-1\"}"})) {
          HttpResponse<byte[]> answer = seedPost(cluster, call[0], call[1], token);
          assertThat(answer.statusCode())
              .as("%s %s with token %s", call[0], call[1], token)
              .isEqualTo(401);
          assertThat(error(answer)).isEqualTo("unauthorized");
        }
      }
      cluster.tick();
      cluster.tick();
      assertThat(State.of(cluster, before.keys)).isEqualTo(before);
    }
  }

  @Test
  void anImpostorWithTheTokenCannotTakeMoveKeepAliveOrRemoveALiveId() {
    try (var cluster = TestCluster.start(3)) {
      State before = State.of(cluster, writeKeys(cluster));
      NodeId victim = cluster.id(2);
      Endpoint at =
          before.members.members().stream()
              .filter(m -> m.id().equals(victim))
              .findFirst()
              .orElseThrow()
              .address();

      for (String address : List.of("127.0.0.1:1", at.toString())) {
        for (String credential : new String[] {null, FORGED}) {
          HttpResponse<byte[]> taken =
              seedPost(
                  cluster,
                  "/register",
                  body(victim, credential, "\"address\":\"" + address + "\""),
                  TOKEN);
          assertThat(taken.statusCode()).as("register at %s", address).isEqualTo(409);
          assertThat(error(taken)).isEqualTo("id_in_use");
        }
      }
      for (String path : List.of("/heartbeat", "/deregister")) {
        for (String credential : new String[] {null, FORGED}) {
          HttpResponse<byte[]> refused =
              seedPost(cluster, path, body(victim, credential, null), TOKEN);
          assertThat(refused.statusCode()).as(path).isEqualTo(403);
          assertThat(error(refused)).isEqualTo("wrong_credential");
        }
      }
      cluster.tick();
      cluster.tick();
      assertThat(State.of(cluster, before.keys)).isEqualTo(before);

      cluster.crash(victim); // and the impostor tries to keep the dead node in the list
      for (int i = 0; i < 4; i++) {
        assertThat(seedPost(cluster, "/heartbeat", body(victim, FORGED, null), TOKEN).statusCode())
            .isEqualTo(403);
        cluster.tick();
      }
      assertThat(memberIds(cluster.seed().registry().view())).doesNotContain(victim);
    }
  }

  @Test
  void aSecondNodeWithALiveNodesIdIsRefusedSaysSoAndDoesNotFlapTheAddress() {
    try (var cluster = TestCluster.start(3);
        LogCapture log = LogCapture.of(MembershipWatcher.class)) {
      State before = State.of(cluster, writeKeys(cluster));
      NodeId id = cluster.id(2);
      KvNode twin =
          KvNode.startManual(
              NodeConfig.forTests(seedUrl(cluster)).withNodeId(id).withToken(TestCluster.TOKEN),
              cluster.clock(),
              new KvNode.Hooks(
                  UnaryOperator.identity(),
                  UnaryOperator.identity(),
                  UnaryOperator.identity(),
                  new kv.node.membership.NodeIdStore(java.util.Optional.empty()),
                  () -> cluster.clock().millis() * 1_000_000));
      try {
        for (int i = 0; i < 3; i++) {
          twin.tick();
          cluster.tick();
        }
        assertThat(State.of(cluster, before.keys)).isEqualTo(before);
        List<String> errors = log.messages(Level.ERROR);
        assertThat(errors).hasSize(1); // said once, not at every retry
        assertThat(errors.get(0))
            .contains(
                "node id node-2 is registered by a live node at",
                "same NODE_ID",
                "Not joining as node-2");

        cluster.stopGracefully(id); // the first one leaves: the id is free, the twin gets in
        twin.tick();
        assertThat(cluster.seed().registry().view().members())
            .contains(new MemberInfo(id, new Endpoint("127.0.0.1", twin.port())));
      } finally {
        twin.close();
      }
    }
  }

  @Test
  void aNodeKeepsItsIdAcrossACrashAnExpiryAndASeedRestartButNobodyElseGetsIt() {
    try (var cluster = TestCluster.start(3)) {
      NodeId node = cluster.id(3);
      cluster.crash(node);
      cluster.restart(node); // memory only, new port, old registration still live
      assertThat(addressOf(cluster, node).port()).isEqualTo(cluster.node(node).port());

      cluster.expire(node);
      cluster.restart(node); // the id was free: registered again with the credential it kept
      assertThat(addressOf(cluster, node).port()).isEqualTo(cluster.node(node).port());

      cluster.stopSeed();
      cluster.restartSeed(); // the seed forgets everything; the nodes register first
      cluster.settle();
      for (int i = 1; i <= 3; i++) {
        HttpResponse<byte[]> taken =
            seedPost(
                cluster,
                "/register",
                body(cluster.id(i), FORGED, "\"address\":\"127.0.0.1:1\""),
                TOKEN);
        assertThat(taken.statusCode())
            .as("taking %s after a seed restart", cluster.id(i))
            .isEqualTo(409);
      }
      assertThat(memberIds(cluster.seed().registry().view()))
          .containsExactlyInAnyOrder(cluster.id(1), cluster.id(2), cluster.id(3));
    }
  }

  /** The seed's list, every node's view version and every node's records of {@code keys}. */
  private record State(
      MembershipView members,
      Map<NodeId, Long> views,
      Map<NodeId, Map<Key, Versioned>> records,
      List<Key> keys) {
    static State of(TestCluster cluster, List<Key> keys) {
      Map<NodeId, Long> views = new HashMap<>();
      Map<NodeId, Map<Key, Versioned>> records = new HashMap<>();
      for (NodeId id : cluster.liveNodes()) {
        KvNode node = cluster.node(id);
        views.put(id, node.viewVersion());
        Map<Key, Versioned> held = new HashMap<>();
        node.storage().scan(TokenRange.fullRing(), held::put);
        records.put(id, held);
      }
      return new State(cluster.seed().registry().view(), views, records, keys);
    }
  }

  private List<Key> writeKeys(TestCluster cluster) {
    List<Key> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String key = "secure-" + i;
      assertThat(
              http.put(
                      cluster.url(cluster.id(1 + i % 3)),
                      key,
                      ("value-" + i).getBytes(StandardCharsets.UTF_8),
                      "&w=all")
                  .statusCode())
          .isEqualTo(204);
      keys.add(Key.of(key));
    }
    return keys;
  }

  private HttpResponse<byte[]> seedPost(
      TestCluster cluster, String path, String body, String token) {
    HttpRequest.Builder request =
        HttpTestClient.request(seedUrl(cluster), path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header(ClusterToken.HEADER, token);
    }
    return http.send(request.build());
  }

  private static String body(NodeId id, String credential, String more) {
    return "{\"nodeId\":\""
        + id
        + "\""
        + (credential == null ? "" : ",\"credential\":\"" + credential + "\"")
        + (more == null ? "" : "," + more)
        + "}";
  }

  private static String error(HttpResponse<byte[]> answer) {
    try {
      JsonNode body = JSON.readTree(answer.body());
      assertThat(body.get("message").asText()).isNotBlank();
      return body.get("error").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Endpoint addressOf(TestCluster cluster, NodeId id) {
    return cluster.seed().registry().view().members().stream()
        .filter(m -> m.id().equals(id))
        .findFirst()
        .orElseThrow()
        .address();
  }

  private static List<NodeId> memberIds(MembershipView view) {
    return view.members().stream().map(MemberInfo::id).toList();
  }

  private static String seedUrl(TestCluster cluster) {
    return "http://127.0.0.1:" + cluster.seed().port();
  }
}
