package kv.node.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import kv.common.Endpoint;
import kv.common.MutableClock;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;
import kv.common.wire.MembershipView;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewInstallerTest {
  private final MutableClock clock = MutableClock.atEpoch2030();
  private final ViewHolder views = new ViewHolder(ClusterView.empty(8));
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @TempDir Path dataDir;

  @Test
  void anOlderOrEqualListIsNeverInstalledOverANewerOne() {
    ViewInstaller installer = installer(Optional.empty());

    assertThat(installer.offer(list(5, 3), ViewSource.WATCH, "seed")).isTrue();
    assertThat(installer.offer(list(4, 1), ViewSource.HEARTBEAT, "seed")).isFalse();
    assertThat(installer.offer(list(5, 2), ViewSource.PEER, "node-9")).isFalse();

    assertThat(views.current().version()).isEqualTo(5);
    assertThat(views.current().members()).hasSize(3);
    assertThat(installer.offer(list(6, 2), ViewSource.REFRESH, "seed")).isTrue();
    assertThat(views.current().version()).isEqualTo(6);
    assertThat(views.both().previous().version()).isEqualTo(5);
    assertThat(
            metrics.get("kv.membership.views.installed").tag("source", "watch").counter().count())
        .isEqualTo(1);
    assertThat(
            metrics
                .get("kv.membership.views.installed")
                .tag("source", "heartbeat")
                .counter()
                .count())
        .isZero();
  }

  @Test
  void listsOfferedFromManyThreadsEndOnTheNewestAndListenersSeeThemInOrder() throws Exception {
    ViewInstaller installer = installer(Optional.empty());
    List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    views.addListener((before, after) -> seen.add(after.version()));
    List<Thread> threads =
        IntStream.range(0, 8)
            .mapToObj(
                t ->
                    new Thread(
                        () -> {
                          for (int v = 1; v <= 200; v++) {
                            installer.offer(list(v * 8L - t, 1), ViewSource.WATCH, "seed");
                          }
                        }))
            .toList();
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join();
    }

    assertThat(views.current().version()).isEqualTo(1600);
    assertThat(seen).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void theLargestListSeenIsKeptAndSurvivesARestart() {
    ViewInstaller installer = installer(Optional.of(dataDir));
    installer.offer(list(1, 1), ViewSource.REGISTER, "seed");
    installer.offer(list(2, 3), ViewSource.WATCH, "seed");
    installer.offer(list(3, 2), ViewSource.WATCH, "seed");

    assertThat(new LargestCluster(Optional.of(dataDir)).size()).isEqualTo(3);
    assertThat(new LargestCluster(Optional.empty()).size()).isZero();
  }

  private ViewInstaller installer(Optional<Path> dir) {
    return new ViewInstaller(views, 8, clock, new LargestCluster(dir), metrics);
  }

  private static MembershipView list(long version, int members) {
    return new MembershipView(
        version,
        IntStream.rangeClosed(1, members)
            .mapToObj(
                i -> new MemberInfo(NodeId.of("node-" + i), new Endpoint("127.0.0.1", 8000 + i)))
            .toList(),
        0);
  }
}
