package kv.seed.membership;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;

/**
 * Blocking queries on the member list, as Consul's: a caller that holds version {@code index} waits
 * until the list changes or {@code wait} passes, and then gets the current list, changed or not.
 * Bounded, so watches cannot exhaust the seed: at most {@code maxOpen} wait at once (more are
 * refused with {@code OVERLOADED}, and the caller falls back to polling), and no wait is longer
 * than {@code maxWait}. Nothing is held on a thread while waiting: each watch is a future and one
 * scheduled timeout.
 */
public final class MemberWatches {
  private final MemberRegistry registry;
  private final ScheduledExecutorService timer;
  private final int maxOpen;
  private final Duration maxWait;
  private final Set<CompletableFuture<MembershipView>> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger count = new AtomicInteger(); // open.size(), reserved before adding

  public MemberWatches(
      MemberRegistry registry, ScheduledExecutorService timer, int maxOpen, Duration maxWait) {
    if (maxOpen < 1 || maxWait.isNegative()) {
      throw new IllegalArgumentException("bad watch bounds: " + maxOpen + ", " + maxWait);
    }
    this.registry = registry;
    this.timer = timer;
    this.maxOpen = maxOpen;
    this.maxWait = maxWait;
  }

  /**
   * The list once its version is other than {@code index}, or the unchanged list after {@code wait}
   * (at most the maximum wait). Fails at once with {@code OVERLOADED} when too many watches are
   * open.
   */
  public CompletableFuture<MembershipView> await(long index, Duration wait) {
    CompletableFuture<MembershipView> change = registry.changeAfter(index);
    if (change.isDone()) {
      return change;
    }
    if (wait.isZero()) {
      registry.stopWaiting(change);
      return CompletableFuture.completedFuture(registry.view());
    }
    if (count.incrementAndGet() > maxOpen) {
      count.decrementAndGet();
      registry.stopWaiting(change);
      throw new KvException(
          ErrorCode.OVERLOADED,
          "the seed has "
              + maxOpen
              + " watches open; poll GET /members or retry the watch shortly");
    }
    open.add(change);
    long millis = Math.min(wait.toMillis(), maxWait.toMillis());
    ScheduledFuture<?> timeout =
        timer.schedule(() -> change.complete(registry.view()), millis, TimeUnit.MILLISECONDS);
    return change.whenComplete(
        (view, error) -> {
          timeout.cancel(false);
          registry.stopWaiting(change);
          open.remove(change);
          count.decrementAndGet();
        });
  }

  /** Watches waiting now. */
  public int open() {
    return count.get();
  }

  public Duration maxWait() {
    return maxWait;
  }

  /** Answers every open watch with the current list (the seed is stopping). */
  public void releaseAll() {
    MembershipView current = registry.view();
    open.forEach(change -> change.complete(current));
  }
}
