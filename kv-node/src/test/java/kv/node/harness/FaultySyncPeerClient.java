package kv.node.harness;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.node.protocol.SyncPeerClient;
import kv.node.protocol.SyncRecord;
import kv.node.ring.TokenRange;

/**
 * A real {@link SyncPeerClient} whose calls go through {@link Faults#call}, as the replica client's
 * do, and whose pushes to a swallowing node are acknowledged without arriving.
 */
final class FaultySyncPeerClient implements SyncPeerClient {
  private final NodeId self;
  private final Faults faults;
  private final SyncPeerClient delegate;

  FaultySyncPeerClient(NodeId self, Faults faults, SyncPeerClient delegate) {
    this.self = self;
    this.faults = faults;
    this.delegate = delegate;
  }

  @Override
  public CompletableFuture<TreeReply> merkle(Endpoint peer, TokenRange range, int depth) {
    return faults.call(self, peer, () -> delegate.merkle(peer, range, depth));
  }

  @Override
  public CompletableFuture<RangePage> fetch(Endpoint peer, TokenRange range) {
    return faults.call(self, peer, () -> delegate.fetch(peer, range));
  }

  @Override
  public CompletableFuture<Void> push(Endpoint peer, List<SyncRecord> records) {
    if (faults.swallows(peer)) {
      return CompletableFuture.completedFuture(null); // acknowledged, never stored
    }
    return faults.call(self, peer, () -> delegate.push(peer, records));
  }
}
