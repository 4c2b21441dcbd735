package kv.node.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Json;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.seed.SeedConfig;
import kv.seed.SeedServer;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The watcher against a real seed over HTTP; only the seed client's transport is tampered with. */
@Timeout(30)
class MembershipWatcherTest {
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final SeedServer seed = SeedServer.startManual(SeedConfig.forTests(), clock);
  private final AtomicInteger lostAnswers = new AtomicInteger();
  private final OkHttpClient http =
      new OkHttpClient.Builder()
          .callTimeout(Duration.ofSeconds(5))
          .addInterceptor(this::loseAnswerOnce)
          .build();
  private final SeedClient seedClient =
      new SeedClient(
          http,
          HttpUrl.get("http://127.0.0.1:" + seed.port()),
          ClusterToken.open(),
          Json.newMapper());

  @TempDir Path dataDir;

  @AfterEach
  void stop() {
    seed.close();
    http.dispatcher().executorService().shutdown();
  }

  /** The seed processes the request, but its answer is lost as on a client-side read timeout. */
  private Response loseAnswerOnce(Interceptor.Chain chain) throws IOException {
    Response response = chain.proceed(chain.request());
    if (lostAnswers.getAndDecrement() > 0) {
      response.close();
      throw new SocketTimeoutException("answer lost (injected)");
    }
    return response;
  }

  @Test
  void registrationRetriedAfterALostAnswerAsksForTheSameIdAndLeavesNoPhantom() {
    NodeIdStore store = new NodeIdStore(Optional.of(dataDir));
    MembershipWatcher watcher = watcher(store, Optional.empty());
    NodeId candidate = watcher.id();
    assertThat(store.load()).contains(candidate); // persisted before the first registration

    lostAnswers.set(1);
    watcher.tick(); // the seed registers the node, the node never hears back
    assertThat(watcher.isRegistered()).isFalse();
    assertThat(members()).containsExactly(candidate);

    watcher.tick(); // retried: same id
    assertThat(watcher.isRegistered()).isTrue();
    assertThat(watcher.id()).isEqualTo(candidate);
    assertThat(members()).containsExactly(candidate);
  }

  @Test
  void aRestartedWatcherAsksForThePersistedCandidateEvenIfItNeverRegistered() {
    NodeIdStore store = new NodeIdStore(Optional.of(dataDir));
    NodeId candidate = watcher(store, Optional.empty()).id(); // then "crashes"

    MembershipWatcher restarted = watcher(store, Optional.empty());
    restarted.tick();

    assertThat(restarted.id()).isEqualTo(candidate);
    assertThat(members()).containsExactly(candidate);
  }

  @Test
  void withoutADataDirTheCandidateStillSurvivesRetriesInMemory() {
    MembershipWatcher watcher = watcher(new NodeIdStore(Optional.empty()), Optional.empty());
    lostAnswers.set(2);
    watcher.tick();
    watcher.tick();
    watcher.tick();
    assertThat(members()).containsExactly(watcher.id());
  }

  @Test
  void aConfiguredIdWinsAndIsUsedAsIs() {
    MembershipWatcher watcher =
        watcher(new NodeIdStore(Optional.of(dataDir)), Optional.of(NodeId.of("configured")));
    watcher.tick();
    assertThat(members()).containsExactly(NodeId.of("configured"));
  }

  @Test
  void deregisterRemovesTheNodeAtOnceAndLaterTicksDoNotBringItBack() {
    MembershipWatcher watcher = watcher(new NodeIdStore(Optional.of(dataDir)), Optional.empty());
    watcher.tick();
    long version = seed.registry().view().version();

    assertThat(watcher.deregister()).isTrue();

    assertThat(members()).isEmpty();
    assertThat(seed.registry().view().version()).isGreaterThan(version);
    clock.advance(Duration.ofSeconds(10));
    watcher.tick();
    assertThat(members()).isEmpty();
  }

  @Test
  void deregisterWithTheSeedDownIsBestEffort() {
    MembershipWatcher watcher = watcher(new NodeIdStore(Optional.of(dataDir)), Optional.empty());
    watcher.tick();
    seed.close();
    assertThat(watcher.deregister()).isFalse();
  }

  @Test
  void theCredentialIsKeptOwnerOnlyBeforeRegisteringAndProvesTheIdAfterARestart()
      throws IOException {
    NodeIdStore store = new NodeIdStore(Optional.of(dataDir));
    MembershipWatcher first = watcher(store, Optional.empty());
    NodeId id = first.id();
    assertThat(store.loadCredential()).isPresent();
    assertThat(Files.getPosixFilePermissions(dataDir.resolve("node-credential")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    first.tick();

    // restarted on another port while its registration is still live: its files prove the id
    MembershipWatcher restarted =
        watcher(new NodeIdStore(Optional.of(dataDir)), Optional.empty(), 18081);
    restarted.tick();
    assertThat(restarted.isRegistered()).isTrue();
    assertThat(seed.registry().view().members())
        .containsExactly(new MemberInfo(id, Endpoint.parse("127.0.0.1:18081")));

    // the same id without those files (another node with NODE_ID set) is refused
    MembershipWatcher twin = watcher(new NodeIdStore(Optional.empty()), Optional.of(id), 18082);
    twin.tick();
    twin.tick();
    assertThat(twin.isRegistered()).isFalse();
    assertThat(seed.registry().view().members())
        .containsExactly(new MemberInfo(id, Endpoint.parse("127.0.0.1:18081")));
  }

  private MembershipWatcher watcher(NodeIdStore store, Optional<NodeId> configured) {
    return watcher(store, configured, 18080);
  }

  private MembershipWatcher watcher(NodeIdStore store, Optional<NodeId> configured, int port) {
    ViewHolder views = new ViewHolder(ClusterView.empty(8));
    ViewInstaller installer =
        new ViewInstaller(
            views, 8, clock, new LargestCluster(Optional.empty()), new SimpleMeterRegistry());
    return new MembershipWatcher(
        seedClient,
        views,
        installer,
        store,
        store.resolve(configured),
        Optional.empty(),
        port,
        clock,
        Duration.ofSeconds(5));
  }

  private java.util.List<NodeId> members() {
    return seed.registry().view().members().stream().map(MemberInfo::id).toList();
  }
}
