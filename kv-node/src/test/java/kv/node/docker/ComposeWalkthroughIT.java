package kv.node.docker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import kv.common.NodeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's curl walkthrough against the compose file scaled to three nodes. */
@DockerTest
class ComposeWalkthroughIT {
  /** Every character that tends to break a query string: '&', ' ', '+', '/', '#', '%', emoji. */
  private static final String KEY = "a&b c+/#%😀";

  private static ComposeCluster cluster;

  @BeforeAll
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a cold run builds both images first
  static void startCluster() {
    cluster = ComposeCluster.up(3);
  }

  @AfterAll
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void putGetDeleteThroughThreeHostPorts() {
    Map<Integer, NodeId> ids = cluster.awaitConverged(cluster.instances(), Duration.ofSeconds(60));
    List<URI> nodes = cluster.nodes(cluster.instances());
    assertThat(nodes).doesNotHaveDuplicates();
    KvClient kv = cluster.client();
    byte[] value = binaryValue();

    HttpResponse<byte[]> put = kv.put(nodes.get(0), KEY, value);
    assertThat(put.statusCode()).isEqualTo(204);
    assertThat(coordinator(put)).isEqualTo(ids.get(1).value());

    HttpResponse<byte[]> found = kv.get(nodes.get(1), KEY);
    assertThat(found.statusCode()).isEqualTo(200);
    assertThat(found.body()).isEqualTo(value);
    assertThat(found.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(coordinator(found)).isEqualTo(ids.get(2).value());

    HttpResponse<byte[]> deleted = kv.delete(nodes.get(2), KEY);
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(coordinator(deleted)).isEqualTo(ids.get(3).value());

    HttpResponse<byte[]> gone = kv.get(nodes.get(1), KEY);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    assertThat(kv.error(gone).error()).isEqualTo("not_found");
    assertThat(kv.error(gone).message()).contains(KEY);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void everyNodeKeepsItsDataInTheProjectsNamedVolumeNotAnAnonymousOne() {
    // an anonymous volume per container outlives scale-downs and recreates, unlabelled
    for (int instance : cluster.instances()) {
      assertThat(cluster.dataVolume(instance))
          .as("volume at /data of node %d", instance)
          .hasValueSatisfying(name -> assertThat(name).endsWith("_node-data"));
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void theComposeClusterHasATokenAndRefusesStrangers() {
    cluster.awaitConverged(cluster.instances(), Duration.ofSeconds(60));
    KvClient kv = cluster.client();
    Set<NodeId> members = cluster.seedMembers();

    HttpResponse<byte[]> register =
        kv.unauthenticated("POST", cluster.seed(), "/register", "{\"port\":8080}");
    assertThat(register.statusCode()).isEqualTo(401);
    assertThat(kv.error(register).error()).isEqualTo("unauthorized");
    HttpResponse<byte[]> internal =
        kv.unauthenticated(
            "GET", cluster.node(1), "/internal/kv?key=" + KvClient.encode(KEY), null);
    assertThat(internal.statusCode()).isEqualTo(401);
    assertThat(cluster.seedMembers()).isEqualTo(members);
  }

  /** Text, then every byte value: not UTF-8, so only a binary-safe path returns it intact. */
  private static byte[] binaryValue() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("value of a&b 😀\n".getBytes(UTF_8));
    for (int b = 0; b < 256; b++) {
      bytes.write(b);
    }
    return bytes.toByteArray();
  }

  private static String coordinator(HttpResponse<byte[]> response) {
    return response.headers().firstValue("X-Kv-Coordinator").orElse("(no header)");
  }
}
