package kv.node.membership;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import kv.common.NodeId;
import kv.common.wire.MembershipView;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a member list becomes this node's view, whichever path brought it (registration,
 * heartbeat, watch, a peer): installs it only when it is newer than the current view, logs one INFO
 * line saying where it came from and how long after the seed's change it arrived, and counts it. It
 * also remembers when the seed last confirmed the view as current, so {@code
 * kv_membership_view_age_seconds} shows a node that has lost touch.
 */
public final class ViewInstaller {
  private static final Logger log = LoggerFactory.getLogger(ViewInstaller.class);

  private final ViewHolder views;
  private final int vnodes;
  private final Clock clock;
  private final LargestCluster largest;
  private final Map<ViewSource, Counter> installed = new EnumMap<>(ViewSource.class);
  private final Map<ViewSource, Timer> delays = new EnumMap<>(ViewSource.class);
  private volatile long confirmedAtMillis;
  private volatile Installed last;

  /** The last view installed: where from, when, and how long after the seed made it. */
  public record Installed(
      long version, ViewSource source, String from, long atMillis, long delayMillis) {}

  public ViewInstaller(
      ViewHolder views, int vnodes, Clock clock, LargestCluster largest, MeterRegistry metrics) {
    this.views = views;
    this.vnodes = vnodes;
    this.clock = clock;
    this.largest = largest;
    this.confirmedAtMillis = clock.millis();
    for (ViewSource source : ViewSource.values()) {
      installed.put(
          source,
          Counter.builder("kv.membership.views.installed")
              .description("Member lists installed, by how this node learned them")
              .tag("source", source.label())
              .register(metrics));
      delays.put(
          source,
          Timer.builder("kv.membership.propagation")
              .description("From the seed's change of the member list to this node installing it")
              .tag("source", source.label())
              .register(metrics));
    }
    Gauge.builder("kv.membership.view.age", this, ViewInstaller::ageSeconds)
        .description("Seconds since the seed last confirmed this node's member list as current")
        .baseUnit("seconds")
        .register(metrics);
    Gauge.builder("kv.membership.largest.cluster", largest, LargestCluster::size)
        .description(
            "Most members this node has seen in one list (replicas are counted against it)")
        .register(metrics);
  }

  /**
   * Installs {@code view} if it is newer than the current one; says whether it did. {@code from}
   * names who answered (the seed's URL or a peer's address) for the log line.
   */
  public boolean offer(MembershipView view, ViewSource source, String from) {
    if (view.version() <= views.current().version()) {
      confirmIfCurrent(view, source);
      return false;
    }
    ClusterView next = ClusterView.of(view, vnodes); // built outside the lock: 128 tokens a member
    synchronized (this) {
      ClusterView before = views.current();
      if (!views.install(next)) {
        return false; // a newer view won the race
      }
      largest.observe(next.members().size());
      confirmedAtMillis = clock.millis();
      long delay = Math.max(0, clock.millis() - view.changedAt());
      last = new Installed(view.version(), source, from, clock.millis(), delay);
      installed.get(source).increment();
      delays.get(source).record(Duration.ofMillis(delay));
      log.info(
          "Membership version {} from {} ({}), {} ms after the change: {} node(s), joined {}, "
              + "left {}",
          view.version(),
          source.label(),
          from,
          delay,
          next.members().size(),
          difference(next, before),
          difference(before, next));
      return true;
    }
  }

  /** The last view installed, if any. */
  public Optional<Installed> last() {
    return Optional.ofNullable(last);
  }

  private void confirmIfCurrent(MembershipView view, ViewSource source) {
    if (view.version() == views.current().version() && source != ViewSource.PEER) {
      confirmedAtMillis = clock.millis(); // the seed says the list has not changed
    }
  }

  private double ageSeconds() {
    return Math.max(0, clock.millis() - confirmedAtMillis) / 1000.0;
  }

  private static Set<NodeId> difference(ClusterView a, ClusterView b) {
    Set<NodeId> only = new HashSet<>(a.members().keySet());
    only.removeAll(b.members().keySet());
    return only;
  }
}
