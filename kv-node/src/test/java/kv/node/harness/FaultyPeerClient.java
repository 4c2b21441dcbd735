package kv.node.harness;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.protocol.PeerClient;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * A real {@link PeerClient} whose every call, hints included, goes through {@link Faults#call}:
 * failing as an unreachable peer's while partitioned, waiting unsent while {@link Faults#hold()} is
 * in force.
 */
final class FaultyPeerClient implements PeerClient {
  private final NodeId self;
  private final Faults faults;
  private final PeerClient delegate;

  FaultyPeerClient(NodeId self, Faults faults, PeerClient delegate) {
    this.self = self;
    this.faults = faults;
    this.delegate = delegate;
  }

  @Override
  public CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key) {
    return faults.call(self, peer, () -> delegate.read(peer, key));
  }

  @Override
  public CompletableFuture<Optional<Version>> write(
      Endpoint peer, Key key, Versioned record, long placedOn) {
    return faults.call(self, peer, () -> delegate.write(peer, key, record, placedOn));
  }

  @Override
  public CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record) {
    return faults.call(self, peer, () -> delegate.writeHint(peer, owner, key, record));
  }

  @Override
  public void close() {
    delegate.close();
  }
}
