package kv.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.harness.TestCluster;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.storage.StorageEngine;
import kv.node.version.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A range a node no longer replicates stays on it until its new replicas have been members for
 * HANDOFF_SETTLE and a Merkle comparison shows they hold it, and a rebalance that moves more than
 * MAX_REBALANCE_SHARE of the ring lets go of it in steps (issue 14, item 3).
 */
@Timeout(120)
class HandoffSettleTest {
  private static final Coordinator.Policy N3 =
      new Coordinator.Policy(3, Consistency.exactly(2), Consistency.exactly(2));
  private static final int KEYS = 300;

  @Test
  void aHandedOffRangeStaysWhileItsNewReplicaIsYoungerThanTheSettlingPeriod() {
    Duration settle = Duration.ofSeconds(60);
    // anti-entropy every tick: its sweep of the ranges a node does not replicate runs every tick
    SyncConfig sync = new SyncConfig(TestCluster.HEARTBEAT, 10_000_000, settle, 1.0);
    try (var cluster = TestCluster.start(3, N3, (id, c) -> c.withSync(sync))) {
      writeKeys(cluster, KEYS);
      Instant joined = cluster.clock().instant();
      NodeId joiner = cluster.addNode("node-4");

      while (cluster.clock().instant().isBefore(joined.plus(settle).minus(TestCluster.HEARTBEAT))) {
        cluster.tick();
        for (int old = 1; old <= 3; old++) {
          assertThat(cluster.node(cluster.id(old)).storage().size())
              .as("records on node-%d at %s", old, cluster.clock().instant())
              .isEqualTo(KEYS);
        }
      }
      assertThat(cluster.node(joiner).storage().size()).isBetween(150L, 300L); // it has its share

      cluster.rebalance(10); // the settling period ends: the old replicas let go
      assertExactlyNReplicasOnTheirOwners(cluster);
      assertAllReadable(cluster);
    }
  }

  @Test
  void aHandedOffRangeStaysWhileItsNewReplicaDoesNotHoldIt() {
    SyncConfig sync = new SyncConfig(Duration.ofDays(1), 10_000_000, Duration.ofSeconds(15), 1.0);
    try (var cluster = TestCluster.start(3, N3, (id, c) -> c.withSync(sync))) {
      writeKeys(cluster, KEYS);
      NodeId joiner = cluster.addNode("node-4");
      cluster.tick(); // node-4 pulls its ranges
      assertThat(cluster.node(joiner).storage().size()).isPositive();
      // node-4 loses them and from now on acknowledges every push without keeping it
      cluster.faults().swallowPushesTo(joiner);
      wipe(cluster.node(joiner).storage());

      for (int tick = 0; tick < 6; tick++) { // 30 s: twice the settling period
        cluster.tick();
        for (int old = 1; old <= 3; old++) {
          assertThat(cluster.node(cluster.id(old)).storage().size())
              .as("records on node-%d after tick %d", old, tick)
              .isEqualTo(KEYS);
        }
      }

      cluster.heal(); // pushes arrive again: the next comparison finds them, the one after drops
      cluster.rebalance(10);
      assertExactlyNReplicasOnTheirOwners(cluster);
      assertAllReadable(cluster);
    }
  }

  @Test
  void aRebalanceMovingMoreThanTheShareLetsGoInSteps() {
    int keys = 1000;
    SyncConfig sync = new SyncConfig(Duration.ofDays(1), 10_000_000, Duration.ofSeconds(10), 0.1);
    try (var cluster = TestCluster.start(3, N3, (id, c) -> c.withSync(sync))) {
      writeKeys(cluster, keys);
      cluster.addNode("node-4");
      cluster.addNode("node-5"); // each old node now replicates 3/5 of the ring instead of all
      StorageEngine first = cluster.node(cluster.id(1)).storage();

      List<Long> sizes = new ArrayList<>(List.of(first.size()));
      for (int tick = 0;
          tick < 30
              && !cluster.liveNodes().stream().allMatch(id -> cluster.node(id).isRebalanced());
          tick++) {
        cluster.tick();
        sizes.add(first.size());
      }

      List<Long> steps = new ArrayList<>(); // the records dropped each time any were
      for (int i = 1; i < sizes.size(); i++) {
        if (sizes.get(i) < sizes.get(i - 1)) {
          steps.add(sizes.get(i - 1) - sizes.get(i));
        }
      }
      assertThat(sizes.get(sizes.size() - 1)).as("sizes %s", sizes).isBetween(450L, 750L);
      assertThat(steps)
          .as("sizes %s", sizes)
          .hasSizeGreaterThanOrEqualTo(3)
          .allMatch(dropped -> dropped <= 0.2 * keys); // ~10 % of the ring each, and some noise
      assertExactlyNReplicasOnTheirOwners(cluster, keys);
    }
  }

  private static void wipe(StorageEngine storage) {
    List<Key> keys = new ArrayList<>();
    List<Versioned> records = new ArrayList<>();
    storage.scan(
        kv.node.ring.TokenRange.fullRing(),
        (key, record) -> {
          keys.add(key);
          records.add(record);
        });
    for (int i = 0; i < keys.size(); i++) {
      storage.remove(keys.get(i), records.get(i).version());
    }
    assertThat(storage.size()).isZero();
  }

  private static void writeKeys(TestCluster cluster, int count) {
    for (int i = 0; i < count; i++) {
      HttpResponse<byte[]> put =
          cluster
              .client()
              .put(cluster.url(cluster.id(1 + i % 3)), "key-" + i, bytes("v" + i), "&w=all");
      assertThat(put.statusCode()).as("PUT key-%d", i).isEqualTo(204);
    }
  }

  private static void assertAllReadable(TestCluster cluster) {
    List<NodeId> nodes = cluster.liveNodes();
    for (int i = 0; i < KEYS; i++) {
      HttpResponse<byte[]> got =
          cluster.client().get(cluster.url(nodes.get(i % nodes.size())), "key-" + i);
      assertThat(got.statusCode()).as("GET key-%d", i).isEqualTo(200);
      assertThat(got.body()).isEqualTo(bytes("v" + i));
    }
  }

  private static void assertExactlyNReplicasOnTheirOwners(TestCluster cluster) {
    assertExactlyNReplicasOnTheirOwners(cluster, KEYS);
  }

  private static void assertExactlyNReplicasOnTheirOwners(TestCluster cluster, int count) {
    NodeId any = cluster.liveNodes().get(0);
    for (int i = 0; i < count; i++) {
      Key key = Key.of("key-" + i);
      List<NodeId> holders =
          cluster.liveNodes().stream()
              .filter(id -> cluster.node(id).storage().get(key).isPresent())
              .toList();
      assertThat(holders)
          .as("replicas of %s", key)
          .containsExactlyInAnyOrderElementsOf(cluster.node(any).owners(key));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
