package kv.node.ring;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The current {@link ClusterView}, swapped as a whole when membership changes. Listeners hear of
 * each change on the installing thread before the new view is visible to readers.
 */
public final class ViewHolder {
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile ClusterView current;

  /** Told of every change of view, with the view it replaces. */
  @FunctionalInterface
  public interface Listener {
    void viewChanged(ClusterView before, ClusterView after);
  }

  public ViewHolder(ClusterView initial) {
    this.current = initial;
  }

  public ClusterView current() {
    return current;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void install(ClusterView view) {
    ClusterView before = current;
    listeners.forEach(l -> l.viewChanged(before, view));
    current = view;
  }
}
