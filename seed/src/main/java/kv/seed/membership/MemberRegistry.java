package kv.seed.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.wire.MembershipView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live storage nodes. Registration, heartbeats and expiry change it; every change bumps the
 * version. The version starts at the clock's epoch millis, so it keeps growing across a seed
 * restart and nodes never mistake a new list for one they already have.
 *
 * <p>Thread-safe: all state is guarded by {@code this}. Traffic is a heartbeat per node every few
 * seconds, so one lock is simpler than anything cleverer and costs nothing measurable. Those
 * waiting for a change ({@link #changeAfter}) are told outside the lock, so what they do next
 * (write an HTTP answer) never runs while it is held.
 */
public final class MemberRegistry {
  private static final Logger log = LoggerFactory.getLogger(MemberRegistry.class);

  private final Map<NodeId, Member> members = new HashMap<>();
  private final Clock clock;
  private final Duration ttl;
  private final Supplier<NodeId> idGenerator;
  private long version;
  private MembershipView view;
  private final List<Wait> waiting = new ArrayList<>();

  public MemberRegistry(Clock clock, Duration ttl, Supplier<NodeId> idGenerator) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    this.clock = clock;
    this.ttl = ttl;
    this.idGenerator = idGenerator;
    this.version = clock.millis();
    this.view = new MembershipView(version, List.of(), clock.millis());
  }

  /** Admits a node under the id it asks for (or a new one) at {@code address}. */
  public Registration register(Optional<NodeId> requested, Endpoint address) {
    Registration registration;
    synchronized (this) {
      registration = admit(requested, address);
    }
    tellWaiting();
    return registration;
  }

  private Registration admit(Optional<NodeId> requested, Endpoint address) {
    NodeId id = requested.orElseGet(this::unusedId);
    Member previous = members.put(id, new Member(id, address, clock.instant()));
    if (previous == null || !previous.address().equals(address)) {
      log.info("Member {} joined at {}{}", id, address,
          previous == null ? "" : " (was at " + previous.address() + ")");
      changed();
    }
    return new Registration(id, address, view);
  }

  /** Records a heartbeat; empty when the id is unknown (expired, or the seed restarted). */
  public synchronized Optional<MembershipView> heartbeat(NodeId id) {
    Member member = members.get(id);
    if (member == null) {
      return Optional.empty();
    }
    members.put(id, member.seenAt(clock.instant()));
    return Optional.of(view);
  }

  /**
   * Removes a member that is leaving on purpose, without waiting for the ttl; the new list is
   * returned. Empty when the id is unknown (already expired or deregistered).
   */
  public Optional<MembershipView> deregister(NodeId id) {
    Optional<MembershipView> after;
    synchronized (this) {
      after = remove(id);
    }
    tellWaiting();
    return after;
  }

  private Optional<MembershipView> remove(NodeId id) {
    Member removed = members.remove(id);
    if (removed == null) {
      return Optional.empty();
    }
    log.info("Member {} at {} left (deregistered)", id, removed.address());
    changed();
    return Optional.of(view);
  }

  /** Removes and returns members silent for longer than the ttl; the scheduler and tests call it. */
  public List<NodeId> expireStale() {
    List<NodeId> stale;
    synchronized (this) {
      Instant cutoff = clock.instant().minus(ttl);
      stale = members.values().stream()
          .filter(m -> m.seenBefore(cutoff)).map(Member::id).sorted().toList();
      if (!stale.isEmpty()) {
        stale.forEach(members::remove);
        log.info("Members expired after {} of silence: {}", ttl, stale);
        changed();
      }
    }
    tellWaiting();
    return stale;
  }

  public synchronized MembershipView view() {
    return view;
  }

  /**
   * The list once its version is other than {@code index}: complete at once when it already is,
   * else when the list next changes. A caller that stops waiting should {@link #stopWaiting} so
   * the future does not stay referenced until the next change.
   */
  public synchronized CompletableFuture<MembershipView> changeAfter(long index) {
    if (view.version() != index) {
      return CompletableFuture.completedFuture(view);
    }
    CompletableFuture<MembershipView> change = new CompletableFuture<>();
    waiting.add(new Wait(index, change));
    return change;
  }

  /** Forgets a future from {@link #changeAfter} that nobody waits for any more. */
  public synchronized void stopWaiting(CompletableFuture<MembershipView> change) {
    waiting.removeIf(wait -> wait.change() == change);
  }

  private void changed() {
    version++;
    view = new MembershipView(version, members.values().stream()
        .sorted(Comparator.comparing(Member::id))
        .map(Member::info)
        .toList(), clock.millis());
  }

  /** Completes, outside the lock, every wait that the current list answers. */
  private void tellWaiting() {
    List<Wait> ready;
    MembershipView current;
    synchronized (this) {
      current = view;
      ready = waiting.stream().filter(wait -> wait.index() != current.version()).toList();
      waiting.removeAll(ready);
    }
    ready.forEach(wait -> wait.change().complete(current));
  }

  /** Someone waiting for the list to move past version {@code index}. */
  private record Wait(long index, CompletableFuture<MembershipView> change) {}

  private NodeId unusedId() {
    NodeId id = idGenerator.get();
    while (members.containsKey(id)) {
      id = idGenerator.get();
    }
    return id;
  }

  /** What a registration gives back: the node's id, the address recorded, and the list. */
  public record Registration(NodeId id, Endpoint address, MembershipView view) {}
}
