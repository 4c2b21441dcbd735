package kv.node.handoff;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import kv.node.storage.HintStore;

/**
 * {@code kv_hints_pending} (hints this node holds for others), and counters of hints stored,
 * delivered and expired ({@code kv_hints_stored_total}, {@code kv_hints_delivered_total}, {@code
 * kv_hints_expired_total}).
 */
public final class HintMetrics {
  private final Counter stored;
  private final Counter delivered;
  private final Counter expired;

  public HintMetrics(MeterRegistry registry, HintStore store) {
    Gauge.builder("kv.hints.pending", store, HintStore::pending)
        .description("Hints this node holds for replicas that missed writes")
        .register(registry);
    this.stored =
        Counter.builder("kv.hints.stored")
            .description("Hints stored on this node, for itself as coordinator or for another")
            .register(registry);
    this.delivered =
        Counter.builder("kv.hints.delivered")
            .description("Hints handed off to their replica and removed")
            .register(registry);
    this.expired =
        Counter.builder("kv.hints.expired")
            .description("Hints dropped undelivered after the hint window")
            .register(registry);
  }

  void stored() {
    stored.increment();
  }

  void delivered(int count) {
    delivered.increment(count);
  }

  void expired(int count) {
    expired.increment(count);
  }
}
