package kv.node;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import kv.node.handoff.HintDelivery;
import kv.node.membership.MembershipWatcher;
import kv.node.storage.TombstonePurger;
import kv.node.sync.AntiEntropy;
import kv.node.sync.Rebalancer;
import kv.node.version.ClockOffsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's background work, each task a plain method that the scheduler calls in production and
 * tests call through {@link #tick()}. Three threads, so that a task waiting on peers never delays
 * the heartbeats: {@code membership} (registration, heartbeats, clock judgement), {@code sync}
 * (rebalancing, anti-entropy, tombstone purges) and {@code hinted-handoff}. Each task catches what
 * it throws, logs it and runs again on its next turn.
 */
final class BackgroundTasks {
  private static final Logger log = LoggerFactory.getLogger(BackgroundTasks.class);

  /** The work itself, built by the composition root. */
  record Work(
      MembershipWatcher membership,
      ClockOffsets offsets,
      Rebalancer rebalancer,
      AntiEntropy antiEntropy,
      TombstonePurger purger,
      HintDelivery handoff) {}

  private final Work work;
  private final ScheduledExecutorService membership = thread("membership");
  private final ScheduledExecutorService sync = thread("sync");
  private final ScheduledExecutorService handoff = thread("hinted-handoff");

  BackgroundTasks(Work work) {
    this.work = work;
  }

  /** Runs every task on its own schedule from now on. */
  void schedule(Duration heartbeatInterval, Duration tombstoneGrace) {
    long period = Math.min(1000, heartbeatInterval.toMillis());
    membership.scheduleWithFixedDelay(this::watchMembership, 0, period, TimeUnit.MILLISECONDS);
    long purgeEvery = Math.max(1000, tombstoneGrace.toMillis() / 10);
    sync.scheduleWithFixedDelay(
        this::purgeTombstones, purgeEvery, purgeEvery, TimeUnit.MILLISECONDS);
    sync.scheduleWithFixedDelay(this::sync, 1, 1, TimeUnit.SECONDS);
    handoff.scheduleWithFixedDelay(this::handOffHints, 1, 1, TimeUnit.SECONDS);
  }

  /** Runs every task once, on the caller's thread (the test harness's clock tick). */
  void tick() {
    watchMembership();
    sync();
    purgeTombstones();
    handOffHints();
  }

  /** Starts the transfers of a new view at once instead of at the next turn. */
  void wakeSync() {
    try {
      sync.execute(this::sync);
    } catch (RejectedExecutionException e) {
      log.debug("Not starting transfers for a new view: the node is stopping");
    }
  }

  /** One hint-delivery pass on the caller's thread (the last one, at shutdown). */
  void handOffHints() {
    try {
      work.handoff().expire();
      work.handoff().handOff();
    } catch (RuntimeException e) {
      log.error("Hinted handoff failed; retrying on the next pass", e);
    }
  }

  /**
   * Stops the threads and waits (10 s at most each) for a task still running: a purge or a transfer
   * still scanning must finish before storage closes.
   */
  void stop() {
    membership.shutdownNow();
    sync.shutdownNow();
    handoff.shutdownNow();
    try {
      if (!membership.awaitTermination(10, TimeUnit.SECONDS)
          || !sync.awaitTermination(10, TimeUnit.SECONDS)
          || !handoff.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("Background work did not stop within 10 s; closing storage anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Registration and heartbeats; clock samples age out even when none arrive. */
  private void watchMembership() {
    work.membership().tick();
    work.offsets().judge();
  }

  private void sync() {
    try {
      work.rebalancer().tick();
      work.antiEntropy().tick();
    } catch (RuntimeException e) {
      log.error("Rebalancing or anti-entropy failed; retrying on the next pass", e);
    }
  }

  private void purgeTombstones() {
    try {
      work.purger().purge();
    } catch (RuntimeException e) {
      log.error("Tombstone purge failed; retrying on the next pass", e);
    }
  }

  private static ScheduledExecutorService thread(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, name));
  }
}
