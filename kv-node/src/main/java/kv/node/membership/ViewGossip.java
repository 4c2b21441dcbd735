package kv.node.membership;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import kv.node.peer.HttpViewClient;
import kv.node.protocol.ViewExchange;
import kv.node.ring.ViewHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches this node up when a peer shows a newer member list than its own. Every node-to-node
 * request and answer carries the sender's view version; on hearing a newer one this node reads the
 * list at once, off the caller's thread: from the seed, or, when the seed does not answer (or is
 * behind), from the peer that had it ({@code GET /internal/view}). So a change spreads even while
 * the seed is down or this node's watch is broken. Catch-ups run one at a time on their own
 * executor and coalesce: whatever is heard meanwhile is served by the next one. After a catch-up
 * that failed, the next waits at least {@link #RETRY_AFTER}, so a flood of exchanges with a newer
 * version cannot turn into a flood of reads.
 */
public final class ViewGossip implements ViewExchange {
  private static final Logger log = LoggerFactory.getLogger(ViewGossip.class);
  static final Duration RETRY_AFTER = Duration.ofMillis(250);

  private final ViewHolder views;
  private final ViewInstaller installer;
  private final SeedClient seed;
  private final HttpViewClient peers;
  private final NodeId self;
  private final Executor executor;
  private final Duration peerTimeout;
  private final LongSupplier nanoTime;
  private final AtomicLong wanted = new AtomicLong();
  private final AtomicReference<Endpoint> holder = new AtomicReference<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile long failedAtNanos;
  private volatile boolean failedOnce;

  public ViewGossip(
      ViewHolder views,
      ViewInstaller installer,
      SeedClient seed,
      HttpViewClient peers,
      NodeId self,
      Executor executor,
      Duration peerTimeout,
      LongSupplier nanoTime) {
    this.views = views;
    this.installer = installer;
    this.seed = seed;
    this.peers = peers;
    this.self = self;
    this.executor = executor;
    this.peerTimeout = peerTimeout;
    this.nanoTime = nanoTime;
  }

  @Override
  public long version() {
    return views.current().version();
  }

  @Override
  public Optional<Endpoint> self() {
    return views.current().endpoint(self);
  }

  @Override
  public void heard(long version, Endpoint from) {
    if (version <= views.current().version()) {
      return;
    }
    if (version > wanted.getAndAccumulate(version, Math::max)) {
      holder.set(from);
    }
    if (failedOnce && nanoTime.getAsLong() - failedAtNanos < RETRY_AFTER.toNanos()) {
      return; // the last catch-up failed a moment ago; a later exchange will try again
    }
    if (running.compareAndSet(false, true)) {
      try {
        executor.execute(this::catchUp);
      } catch (RejectedExecutionException e) {
        running.set(false); // stopping
      }
    }
  }

  private void catchUp() {
    try {
      long target = wanted.get();
      if (views.current().version() < target && !fetch(target)) {
        failedAtNanos = nanoTime.getAsLong();
        failedOnce = true;
      }
    } catch (RuntimeException e) {
      log.error("Catching up with a newer member list failed", e);
    } finally {
      running.set(false);
    }
  }

  /** Reads the list from the seed, else from the peer that had it; whether it caught up. */
  private boolean fetch(long target) {
    try {
      installer.offer(seed.members(), ViewSource.REFRESH, seed.url().toString());
      if (views.current().version() >= target) {
        return true;
      }
    } catch (KvException e) {
      log.debug("Seed did not answer a catch-up read ({}); asking the peer", e.getMessage());
    }
    Endpoint peer = holder.get();
    if (peer == null) {
      return false;
    }
    try {
      MembershipView view = peers.view(peer).get(peerTimeout.toMillis(), TimeUnit.MILLISECONDS);
      installer.offer(view, ViewSource.PEER, peer.toString());
      return views.current().version() >= target;
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "Neither the seed nor the node at {} gave this node member list version {} ({})",
          peer,
          target,
          e.getCause() == null ? e : e.getCause().getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
