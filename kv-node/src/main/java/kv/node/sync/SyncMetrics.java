package kv.node.sync;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import kv.node.replica.PendingRanges;

/**
 * What rebalancing and anti-entropy did: {@code kv_antientropy_ranges_compared_total}, {@code
 * kv_antientropy_keys_repaired_total}, {@code kv_antientropy_rounds_total}, {@code
 * kv_rebalance_keys_total{direction=in|out}} and the {@code kv_rebalance_pending_ranges} gauge
 * (ranges this node is still receiving).
 */
public final class SyncMetrics {
  private final Counter rangesCompared;
  private final Counter keysRepaired;
  private final Counter rounds;
  private final Counter keysIn;
  private final Counter keysOut;

  public SyncMetrics(MeterRegistry registry, PendingRanges pending) {
    this.rangesCompared =
        Counter.builder("kv.antientropy.ranges.compared")
            .description("Ranges whose Merkle trees anti-entropy compared with another replica")
            .register(registry);
    this.keysRepaired =
        Counter.builder("kv.antientropy.keys.repaired")
            .description("Records anti-entropy copied between replicas, either way")
            .register(registry);
    this.rounds =
        Counter.builder("kv.antientropy.rounds")
            .description("Completed anti-entropy rounds over every range this node replicates")
            .register(registry);
    this.keysIn =
        Counter.builder("kv.rebalance.keys")
            .tag("direction", "in")
            .description("Records moved by rebalancing after membership changes")
            .register(registry);
    this.keysOut =
        Counter.builder("kv.rebalance.keys")
            .tag("direction", "out")
            .description("Records moved by rebalancing after membership changes")
            .register(registry);
    Gauge.builder("kv.rebalance.pending.ranges", pending, PendingRanges::size)
        .description("Ranges this node has taken on and is still receiving")
        .register(registry);
  }

  void compared(RangeSync.Outcome outcome) {
    rangesCompared.increment();
    keysRepaired.increment(outcome.pulled() + outcome.pushed());
  }

  void roundDone() {
    rounds.increment();
  }

  void received(long records) {
    keysIn.increment(records);
  }

  void handedOff(long records) {
    keysOut.increment(records);
  }
}
