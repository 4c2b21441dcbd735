package kv.node.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import kv.node.ring.TokenRange;

/**
 * Paces how much of the ring a node lets go of: within any {@code window} (the settling period) it
 * starts dropping ranges that cover at most {@code maxShare} of the token space, so a rebalance
 * that would move more at once (many nodes joining together) proceeds in steps, one window apart. A
 * range admitted once stays admitted for the window (a drop may take several attempts). The first
 * range of a window is always admitted, however wide, so the steps never stall.
 */
final class RebalanceSteps {
  private final Duration window;
  private final double maxShare;
  private final Deque<Step> recent = new ArrayDeque<>(); // guarded by this, oldest first

  private record Step(TokenRange range, Instant at) {}

  RebalanceSteps(Duration window, double maxShare) {
    this.window = window;
    this.maxShare = maxShare;
  }

  /** Whether {@code range} may be dropped now; if so it counts against the current window. */
  synchronized boolean admit(TokenRange range, Instant now) {
    expire(now);
    double used = 0;
    for (Step step : recent) {
      if (step.range().equals(range)) {
        return true;
      }
      used += step.range().share();
    }
    if (used > 0 && used + range.share() > maxShare) {
      return false;
    }
    recent.addLast(new Step(range, now));
    return true;
  }

  /** When the oldest admission of the window leaves it, making room for more. */
  synchronized Instant nextRoom(Instant now) {
    expire(now);
    return recent.isEmpty() ? now : recent.peekFirst().at().plus(window);
  }

  private void expire(Instant now) {
    Instant cutoff = now.minus(window);
    while (!recent.isEmpty() && !recent.peekFirst().at().isAfter(cutoff)) {
      recent.pollFirst();
    }
  }
}
