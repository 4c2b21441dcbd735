package kv.node.harness;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.SyncPeerClient;
import kv.node.protocol.SyncRecord;
import kv.node.ring.TokenRange;

/**
 * A real {@link SyncPeerClient} whose calls fail as an unreachable peer would while partitioned,
 * and whose pushes to a swallowing node are acknowledged without arriving.
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
    return faults.isBlocked(self, peer) ? unreachable(peer) : delegate.merkle(peer, range, depth);
  }

  @Override
  public CompletableFuture<RangePage> fetch(Endpoint peer, TokenRange range) {
    return faults.isBlocked(self, peer) ? unreachable(peer) : delegate.fetch(peer, range);
  }

  @Override
  public CompletableFuture<Void> push(Endpoint peer, List<SyncRecord> records) {
    if (faults.swallows(peer)) {
      return CompletableFuture.completedFuture(null); // acknowledged, never stored
    }
    return faults.isBlocked(self, peer) ? unreachable(peer) : delegate.push(peer, records);
  }

  private <T> CompletableFuture<T> unreachable(Endpoint peer) {
    return CompletableFuture.failedFuture(
        new KvException(ErrorCode.UNAVAILABLE, "partitioned from " + peer + " (injected)"));
  }
}
