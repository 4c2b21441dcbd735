package kv.node.ring;

/** The current {@link ClusterView}, swapped as a whole when membership changes. */
public final class ViewHolder {
  private volatile ClusterView current;

  public ViewHolder(ClusterView initial) {
    this.current = initial;
  }

  public ClusterView current() {
    return current;
  }

  public void install(ClusterView view) {
    current = view;
  }
}
