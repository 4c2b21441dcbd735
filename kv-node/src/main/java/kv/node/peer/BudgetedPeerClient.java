package kv.node.peer;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.http.ByteBudget;
import kv.node.protocol.PeerClient;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Counts the value of every replica write against the node's {@link ByteBudget} from the moment it
 * is sent until the peer has answered (or it failed): a write to the slowest replica outlives the
 * client's request, whose body's bytes went back when it was answered. Without it, under 200
 * clients PUTting 1 MiB values, a hundred writes to the slower peer sat in its queue (100 MiB) and
 * expired into hints while new bodies kept being admitted; now a lagging replica holds back new
 * bodies ({@code 503 overloaded}) instead.
 */
public final class BudgetedPeerClient implements PeerClient {
  private final PeerClient delegate;
  private final ByteBudget budget;

  public BudgetedPeerClient(PeerClient delegate, ByteBudget budget) {
    this.delegate = delegate;
    this.budget = budget;
  }

  @Override
  public CompletableFuture<Optional<Versioned>> read(Endpoint peer, Key key) {
    return delegate.read(peer, key);
  }

  @Override
  public CompletableFuture<Optional<Version>> write(
      Endpoint peer, Key key, Versioned record, long placedOn) {
    return held(record, () -> delegate.write(peer, key, record, placedOn));
  }

  @Override
  public CompletableFuture<Void> writeHint(Endpoint peer, NodeId owner, Key key, Versioned record) {
    return held(record, () -> delegate.writeHint(peer, owner, key, record));
  }

  private <T> CompletableFuture<T> held(Versioned record, Supplier<CompletableFuture<T>> call) {
    long bytes = record.value().size();
    budget.reserve(bytes);
    CompletableFuture<T> sent;
    try {
      sent = call.get();
    } catch (RuntimeException | Error e) {
      budget.release(bytes);
      throw e;
    }
    return sent.whenComplete((ok, error) -> budget.release(bytes));
  }

  @Override
  public void close() {
    delegate.close();
  }
}
