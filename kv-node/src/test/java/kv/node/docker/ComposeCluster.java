package kv.node.docker;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitStrategy;

/**
 * The repository's docker-compose.yml, started as a user starts it ({@code docker compose up
 * --build --scale kv-node=N}) under a project name of its own.
 *
 * <p>Host ports are left to Docker ({@code SEED_HOST_PORT=0}, {@code NODE_HOST_PORTS=0}), so a
 * cluster already running on the default ports, or another build, does not get in the way. Test
 * traffic goes to the ports compose publishes, on 127.0.0.1, never to container addresses; they are
 * read from Docker on every call because a restarted container gets a new one. (Testcontainers'
 * ambassador ports serve only its start-up health wait.) Nodes are numbered 1..N as compose numbers
 * them.
 */
final class ComposeCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ComposeCluster.class);

  /** Compose project names start with this, which lets CI clean up after a killed test JVM. */
  static final String PROJECT_PREFIX = "kvit";

  /** Failsafe runs in the kv-node module; the compose file is at the top of the checkout. */
  private static final File COMPOSE_FILE =
      new File("..", "docker-compose.yml").getAbsoluteFile().toPath().normalize().toFile();

  private static final String NODE = "kv-node";
  private static final String SEED = "seed";
  private static final int NODE_PORT = 8080;
  private static final int SEED_PORT = 9000;
  private static final Duration STARTUP = Duration.ofMinutes(3);

  private final ComposeContainer compose;
  private final int size;
  private final DockerClient docker = DockerClientFactory.instance().client();
  private final KvClient client = new KvClient();

  private ComposeCluster(ComposeContainer compose, int size) {
    this.compose = compose;
    this.size = size;
  }

  /** Builds the images (when their inputs changed) and starts the seed and {@code nodes} nodes. */
  static ComposeCluster up(int nodes) {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException(
          "Docker tests are required here (CI=true or -D"
              + DockerAvailableCondition.REQUIRED_PROPERTY
              + "=true), but no Docker engine is"
              + " reachable");
    }
    if (!COMPOSE_FILE.isFile()) {
      throw new IllegalStateException("no compose file at " + COMPOSE_FILE);
    }
    ComposeContainer compose =
        new ComposeContainer(PROJECT_PREFIX, COMPOSE_FILE)
            .withLocalCompose(true)
            .withBuild(true)
            .withPull(false) // base images are local; nothing may be pulled
            .withEnv("SEED_HOST_PORT", "0")
            .withEnv("NODE_HOST_PORTS", "0")
            .withServices(SEED, NODE)
            .withScaledService(NODE, nodes)
            .withExposedService(SEED, 1, SEED_PORT, healthy())
            .withTailChildContainers(true)
            .withStartupTimeout(STARTUP);
    IntStream.rangeClosed(1, nodes)
        .forEach(i -> compose.withExposedService(NODE, i, NODE_PORT, healthy()));
    log.info("Starting {} with a seed and {} node(s)", COMPOSE_FILE, nodes);
    try {
      compose.start();
    } catch (RuntimeException e) {
      compose.stop();
      throw e;
    }
    return new ComposeCluster(compose, nodes);
  }

  KvClient client() {
    return client;
  }

  /** Node numbers 1..N. */
  List<Integer> instances() {
    return IntStream.rangeClosed(1, size).boxed().toList();
  }

  /** Every node number but {@code instance}. */
  List<Integer> allBut(int instance) {
    return instances().stream().filter(i -> i != instance).toList();
  }

  URI seed() {
    return published(containerId(SEED, 1), SEED_PORT);
  }

  URI node(int instance) {
    return published(containerId(NODE, instance), NODE_PORT);
  }

  List<URI> nodes(List<Integer> instances) {
    return instances.stream().map(this::node).toList();
  }

  /** This node's id, as it reports it; fails until it has registered. */
  NodeId id(int instance) {
    return NodeId.of(client.cluster(node(instance)).self());
  }

  Set<NodeId> seedMembers() {
    return ids(client.members(seed()));
  }

  /**
   * Waits until {@code instances} have registered, the seed lists exactly those nodes, and each of
   * them has installed that list (the seed's current version); returns their ids by node number.
   */
  Map<Integer, NodeId> awaitConverged(List<Integer> instances, Duration atMost) {
    return await("seed and nodes " + instances + " agree that those are the members")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> convergedIds(instances), Optional::isPresent)
        .orElseThrow();
  }

  /** {@code docker stop}: SIGTERM, then SIGKILL after 10 s. */
  void stop(int instance) {
    log.info("docker stop {}-{}", NODE, instance);
    docker.stopContainerCmd(containerId(NODE, instance)).withTimeout(10).exec();
  }

  /** {@code docker kill}: SIGKILL. */
  void kill(int instance) {
    log.info("docker kill {}-{}", NODE, instance);
    docker.killContainerCmd(containerId(NODE, instance)).withSignal("KILL").exec();
  }

  /** {@code docker start}: the same container, with its /data volume. */
  void start(int instance) {
    log.info("docker start {}-{}", NODE, instance);
    docker.startContainerCmd(containerId(NODE, instance)).exec();
  }

  /** {@code docker compose down -v}: removes the containers, their volumes and the network. */
  @Override
  public void close() {
    compose.stop();
  }

  /** What node {@code instance} has mounted at {@code /data}: volume name, or empty for none. */
  Optional<String> dataVolume(int instance) {
    return docker.inspectContainerCmd(containerId(NODE, instance)).exec().getMounts().stream()
        .filter(m -> m.getDestination() != null && "/data".equals(m.getDestination().getPath()))
        .map(m -> m.getName())
        .findFirst();
  }

  private String containerId(String service, int instance) {
    return compose
        .getContainerByServiceName(service + "-" + instance)
        .orElseThrow(() -> new IllegalStateException("no container " + service + "-" + instance))
        .getContainerId();
  }

  private URI published(String containerId, int port) {
    Ports.Binding[] bindings =
        docker
            .inspectContainerCmd(containerId)
            .exec()
            .getNetworkSettings()
            .getPorts()
            .getBindings()
            .get(ExposedPort.tcp(port));
    if (bindings == null || bindings.length == 0) {
      throw new IllegalStateException(
          "container " + containerId + " publishes no host port for " + port + " (not running?)");
    }
    String hostPort =
        Arrays.stream(bindings)
            .filter(b -> b.getHostIp() == null || !b.getHostIp().contains(":")) // IPv4; v6 is alike
            .findFirst()
            .orElse(bindings[0])
            .getHostPortSpec();
    return URI.create("http://127.0.0.1:" + hostPort);
  }

  /** The ids of {@code instances} if the seed and each of them agree on exactly those. */
  private Optional<Map<Integer, NodeId>> convergedIds(List<Integer> instances) {
    Map<Integer, NodeId> ids = new LinkedHashMap<>();
    instances.forEach(i -> ids.put(i, id(i)));
    MembershipView seedView = client.members(seed());
    Set<NodeId> members = ids(seedView);
    boolean converged =
        members.equals(Set.copyOf(ids.values()))
            && instances.stream()
                .map(i -> client.cluster(node(i)))
                .allMatch(
                    seen ->
                        seen.version() == seedView.version() && seen.memberIds().equals(members));
    return converged ? Optional.of(Map.copyOf(ids)) : Optional.empty();
  }

  private static Set<NodeId> ids(MembershipView view) {
    return view.members().stream().map(MemberInfo::id).collect(Collectors.toSet());
  }

  private static WaitStrategy healthy() {
    return Wait.forHttp("/health").forStatusCode(200).withStartupTimeout(STARTUP);
  }
}
