package kv.node.ring;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The current {@link ClusterView}, swapped as a whole when membership changes, with the one it
 * replaced. Views only move forward: {@link #install} refuses a view that is not newer than the
 * current one, whichever source (seed, watch, peer) offers it and in whatever order they arrive.
 * Listeners hear of each change on the installing thread before the new view is visible to readers;
 * installs are serialized, so listeners see changes one at a time and in order.
 */
public final class ViewHolder {
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiting = new ArrayList<>(); // guarded by this
  private volatile Views views;

  /** Told of every change of view, with the view it replaces. */
  @FunctionalInterface
  public interface Listener {
    void viewChanged(ClusterView before, ClusterView after);
  }

  /** The current view and the one it replaced, read together. */
  public record Views(ClusterView current, ClusterView previous) {}

  public ViewHolder(ClusterView initial) {
    this.views = new Views(initial, initial);
  }

  public ClusterView current() {
    return views.current();
  }

  /** The current view and the one before it (the initial view until the first change). */
  public Views both() {
    return views;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /**
   * The first view newer than {@code version}: at once if the current one is, else when one is
   * installed. Completed outside the install lock, so what the caller does next never runs under
   * it.
   */
  public synchronized CompletableFuture<ClusterView> newerThan(long version) {
    if (views.current().version() > version) {
      return CompletableFuture.completedFuture(views.current());
    }
    CompletableFuture<ClusterView> newer = new CompletableFuture<>();
    waiting.add(new Waiter(version, newer));
    return newer;
  }

  /** Installs {@code view} if it is newer than the current one; says whether it did. */
  public boolean install(ClusterView view) {
    List<Waiter> ready;
    synchronized (this) {
      ClusterView before = views.current();
      if (view.version() <= before.version()) {
        return false;
      }
      listeners.forEach(l -> l.viewChanged(before, view));
      views = new Views(view, before);
      ready = waiting.stream().filter(w -> w.version() < view.version()).toList();
      waiting.removeAll(ready);
    }
    ready.forEach(w -> w.newer().complete(view));
    return true;
  }

  /** Someone waiting for a view newer than {@code version}. */
  private record Waiter(long version, CompletableFuture<ClusterView> newer) {}
}
