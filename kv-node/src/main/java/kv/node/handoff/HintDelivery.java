package kv.node.handoff;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.node.protocol.PeerClient;
import kv.node.ring.ViewHolder;
import kv.node.storage.Hint;
import kv.node.storage.HintStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the hints this node holds to their replicas (hinted handoff). Each pass first drops hints
 * older than the window (a replica away that long is left to anti-entropy), then, for each target
 * that is a member of the current view, sends its hints oldest first with the ordinary replica
 * write, {@value #IN_FLIGHT} at a time, removing each once acknowledged; the first failure ends
 * that target's turn until the next pass. A token bucket bounds the hints sent per second, all
 * targets together, so a returning replica is not flooded. Replaying a hint is harmless (a replica
 * keeps the newest version), so a hint delivered but not yet removed when the node dies is simply
 * sent again. The scheduler calls {@link #expire} and {@link #handOff} about every second; tests
 * call them directly.
 */
public final class HintDelivery {
  private static final Logger log = LoggerFactory.getLogger(HintDelivery.class);
  private static final int IN_FLIGHT = 64;

  private final HintStore store;
  private final ViewHolder views;
  private final PeerClient peers;
  private final Clock clock;
  private final Duration window;
  private final HintMetrics metrics;
  private final TokenBucket rate; // guarded by this

  /**
   * How long a hint is kept ({@code HINT_WINDOW}) and how many are sent per second ({@code
   * HINT_RATE}).
   */
  public record Policy(Duration window, int ratePerSecond) {
    public Policy {
      if (window == null || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("hint window must be positive: " + window);
      }
      if (ratePerSecond < 1) {
        throw new IllegalArgumentException("hint rate < 1: " + ratePerSecond);
      }
    }
  }

  public HintDelivery(
      HintStore store,
      ViewHolder views,
      PeerClient peers,
      Clock clock,
      Policy policy,
      HintMetrics metrics) {
    this.store = store;
    this.views = views;
    this.peers = peers;
    this.clock = clock;
    this.window = policy.window();
    this.metrics = metrics;
    this.rate = new TokenBucket(policy.ratePerSecond(), clock);
  }

  /** Drops the hints made more than the window ago; returns how many. */
  public synchronized int expire() {
    int expired = store.expireCreatedBefore(clock.millis() - window.toMillis());
    if (expired > 0) {
      metrics.expired(expired);
      log.warn(
          "Dropped {} hint(s) older than the hint window ({}); anti-entropy must repair"
              + " their replicas",
          expired,
          window);
    }
    return expired;
  }

  /** One pass over the targets in the current view; returns how many hints were delivered. */
  public synchronized int handOff() {
    int delivered = 0;
    for (NodeId target : store.targets()) {
      Optional<Endpoint> at = views.current().endpoint(target);
      if (at.isPresent()) {
        delivered += handOff(target, at.get());
      }
    }
    return delivered;
  }

  private int handOff(NodeId target, Endpoint at) {
    int delivered = 0;
    while (true) {
      int permits = rate.take(IN_FLIGHT);
      if (permits == 0) {
        break;
      }
      List<Hint> batch = store.batch(target, permits);
      rate.giveBack(permits - batch.size());
      int acknowledged = send(at, batch);
      delivered += acknowledged;
      if (acknowledged < batch.size() || batch.size() < permits) {
        break; // a failure (retried next pass), or nothing left for this target
      }
    }
    if (delivered > 0) {
      metrics.delivered(delivered);
      log.info("Handed off {} hint(s) to {}", delivered, target);
    }
    return delivered;
  }

  /** Sends the batch at once; removes and counts the hints acknowledged. */
  private int send(Endpoint at, List<Hint> batch) {
    List<CompletableFuture<Void>> calls = new ArrayList<>(batch.size());
    for (Hint hint : batch) {
      calls.add(call(at, hint));
    }
    int acknowledged = 0;
    for (int i = 0; i < batch.size(); i++) {
      Hint hint = batch.get(i);
      try {
        calls.get(i).get(); // each peer call is bounded by the peer timeout
        store.remove(hint);
        acknowledged++;
      } catch (ExecutionException e) {
        log.debug(
            "Handing a hint for {} to {} failed; retrying next pass: {}",
            hint.key(),
            hint.target(),
            e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return acknowledged;
      }
    }
    return acknowledged;
  }

  private CompletableFuture<Void> call(Endpoint at, Hint hint) {
    try {
      // delivered: the owner keeps it, or holds something newer and keeps that
      return peers.write(at, hint.key(), hint.record()).thenApply(held -> null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
