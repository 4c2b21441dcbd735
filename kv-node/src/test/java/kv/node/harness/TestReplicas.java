package kv.node.harness;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import kv.node.handoff.HintMetrics;
import kv.node.handoff.HintWriter;
import kv.node.replica.PendingRanges;
import kv.node.replica.ReplicaService;
import kv.node.ring.ClusterView;
import kv.node.ring.StalePlacement;
import kv.node.ring.ViewHolder;
import kv.node.storage.InMemoryHintStore;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.HybridClock;

/**
 * A {@link ReplicaService} over one storage engine, for tests below the node: no ring, no hints.
 */
public final class TestReplicas {
  private TestReplicas() {}

  public static ReplicaService over(StorageEngine storage, Clock clock) {
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    InMemoryHintStore hints = new InMemoryHintStore();
    return new ReplicaService(
        storage,
        new PendingRanges(),
        new HintWriter(hints, clock, new HintMetrics(metrics, hints)),
        new ClockBound(new HybridClock(clock, Duration.ofMillis(500)), clock, metrics),
        new StalePlacement(new ViewHolder(ClusterView.empty(128)), 3),
        1 << 20);
  }
}
