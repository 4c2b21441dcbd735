package kv.node.peer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.IntSupplier;

/**
 * How operations travel to peers: {@code kv_peer_batch_operations} (operations per batch sent),
 * {@code kv_peer_operations_queued} (operations waiting for a batch slot, all peers) and {@code
 * kv_peer_operations_expired_total} (operations that waited out the peer timeout in a queue and
 * failed unsent). A growing queue or any expiry means a peer is falling behind; its writes are
 * turning into hints.
 */
final class BatchMetrics {
  private final DistributionSummary batchSize;
  private final Counter expired;

  BatchMetrics(MeterRegistry registry, IntSupplier queued) {
    this.batchSize =
        DistributionSummary.builder("kv.peer.batch.operations")
            .description("Replica operations per batch sent to a peer")
            .register(registry);
    this.expired =
        Counter.builder("kv.peer.operations.expired")
            .description("Replica operations that waited out the peer timeout in a queue, unsent")
            .register(registry);
    Gauge.builder("kv.peer.operations.queued", queued, q -> q.getAsInt())
        .description("Replica operations waiting for a batch slot to their peer")
        .strongReference(true) // a gauge holds its state weakly; nothing else holds this lambda
        .register(registry);
  }

  void sent(int operations) {
    batchSize.record(operations);
  }

  void expired(int operations) {
    expired.increment(operations);
  }
}
