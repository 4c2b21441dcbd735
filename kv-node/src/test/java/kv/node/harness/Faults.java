package kv.node.harness;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import okhttp3.Interceptor;

/**
 * Which node pairs cannot talk (a partition drops traffic both ways), and which nodes cannot reach
 * the seed, or cannot keep a watch on its list open.
 */
public final class Faults {
  private final Set<Set<NodeId>> blocked = ConcurrentHashMap.newKeySet();
  private final Set<NodeId> cutFromSeed = ConcurrentHashMap.newKeySet();
  private final Set<NodeId> brokenWatch = ConcurrentHashMap.newKeySet();
  private final Set<NodeId> swallowing = ConcurrentHashMap.newKeySet();
  private final Map<Integer, NodeId> byPort = new ConcurrentHashMap<>();
  private final AtomicInteger held = new AtomicInteger();
  private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

  void nodeAt(NodeId id, int port) {
    byPort.put(port, id);
  }

  public void partition(NodeId a, NodeId b) {
    blocked.add(Set.of(a, b));
  }

  /** Ends every partition and every swallowing of pushes (seed faults stay). */
  public void heal() {
    blocked.clear();
    swallowing.clear();
  }

  /**
   * From now on records pushed to {@code node} by rebalancing and anti-entropy are acknowledged but
   * never arrive, as with a member that acknowledges everything and keeps nothing.
   */
  public void swallowPushesTo(NodeId node) {
    swallowing.add(node);
  }

  /** Every call from {@code node} to the seed fails as if the seed were unreachable. */
  public void cutFromSeed(NodeId node) {
    cutFromSeed.add(node);
  }

  /**
   * The node's watch on the seed's list fails, the one already open included (its answer is lost);
   * heartbeats and plain reads of the list still go through.
   */
  public void breakWatch(NodeId node) {
    brokenWatch.add(node);
  }

  /** The transport fault of {@code node}'s calls to the seed. */
  Interceptor seedInterceptor(NodeId node) {
    return chain -> {
      boolean watch = chain.request().url().queryParameter("index") != null;
      if (cutFromSeed.contains(node) || (watch && brokenWatch.contains(node))) {
        throw new IOException("seed unreachable from " + node + " (injected)");
      }
      okhttp3.Response response = chain.proceed(chain.request());
      if (watch && brokenWatch.contains(node)) { // broke while the watch was waiting
        response.close();
        throw new IOException("watch answer lost on " + node + " (injected)");
      }
      return response;
    };
  }

  /**
   * From now on every peer call waits, unsent, until {@link #release()}: requests stay in flight.
   */
  public void hold() {
    gate = new CompletableFuture<>();
  }

  /** Sends every held call; later calls go straight through. */
  public void release() {
    gate.complete(null);
  }

  /** Peer calls held so far (released or not). */
  public int heldCalls() {
    return held.get();
  }

  /**
   * One peer call from {@code from} to {@code to} as the faults in force make it: failed as an
   * unreachable peer's while the two are partitioned, else sent once the gate is open.
   */
  <T> CompletableFuture<T> call(NodeId from, Endpoint to, Supplier<CompletableFuture<T>> call) {
    if (isBlocked(from, to)) {
      return CompletableFuture.failedFuture(
          new KvException(ErrorCode.UNAVAILABLE, "partitioned from " + to + " (injected)"));
    }
    return gate().thenCompose(open -> call.get());
  }

  private CompletableFuture<Void> gate() {
    CompletableFuture<Void> current = gate;
    if (!current.isDone()) {
      held.incrementAndGet();
    }
    return current;
  }

  boolean swallows(Endpoint to) {
    NodeId target = byPort.get(to.port());
    return target != null && swallowing.contains(target);
  }

  private boolean isBlocked(NodeId from, Endpoint to) {
    NodeId target = byPort.get(to.port());
    return target != null && !target.equals(from) && blocked.contains(Set.of(from, target));
  }
}
