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
import kv.common.NodeCredential;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live storage nodes. Registration, heartbeats and expiry change it; every change bumps the
 * version. The version starts at the clock's epoch millis, so it keeps growing across a seed
 * restart and nodes never mistake a new list for one they already have.
 *
 * <p>Each member holds a credential. While a member is live, registering under its id, or
 * heartbeating or deregistering for it, takes that credential ({@code id_in_use} or {@code
 * wrong_credential} otherwise), so no one with the cluster token alone can move, keep alive or
 * remove someone else's node. The credential is forgotten with the member (expiry, deregistration,
 * a seed restart): the next registration under the id sets it again, trust on first use, as Consul
 * lets a node name be taken over once its holder has failed.
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

  /**
   * Admits a node under the id it asks for (or a new one) at {@code address}. A live id takes its
   * member's credential; a free one takes the credential presented, or a new one when none is.
   */
  public Registration register(
      Optional<NodeId> requested, Endpoint address, Optional<NodeCredential> presented) {
    Registration registration;
    synchronized (this) {
      registration = admit(requested, address, presented);
    }
    tellWaiting();
    return registration;
  }

  private Registration admit(
      Optional<NodeId> requested, Endpoint address, Optional<NodeCredential> presented) {
    NodeId id = requested.orElseGet(this::unusedId);
    Member previous = members.get(id);
    if (previous != null && !previous.credential().matches(presented.orElse(null))) {
      throw new KvException(
          ErrorCode.ID_IN_USE,
          "node id "
              + id
              + " is registered by a live node"
              + " at "
              + previous.address()
              + " and this registration (at "
              + address
              + ") does not"
              + " carry its credential: is another node running with the same NODE_ID? The id is"
              + " free again once that node deregisters or has been silent for NODE_TTL ("
              + ttl.toMillis()
              + " ms)");
    }
    NodeCredential credential =
        previous != null ? previous.credential() : presented.orElseGet(NodeCredential::random);
    members.put(id, new Member(id, address, clock.instant(), credential));
    if (previous == null || !previous.address().equals(address)) {
      log.info(
          "Member {} joined at {}{}",
          id,
          address,
          previous == null ? "" : " (was at " + previous.address() + ")");
      changed();
    }
    return new Registration(id, address, view, credential);
  }

  /**
   * Records a heartbeat; empty when the id is unknown (expired, or the seed restarted). Refused
   * ({@code wrong_credential}) without the member's credential.
   */
  public synchronized Optional<MembershipView> heartbeat(
      NodeId id, Optional<NodeCredential> presented) {
    Member member = members.get(id);
    if (member == null) {
      return Optional.empty();
    }
    requireCredential(member, presented, "heartbeat");
    members.put(id, member.seenAt(clock.instant()));
    return Optional.of(view);
  }

  /**
   * Removes a member that is leaving on purpose, without waiting for the ttl; the new list is
   * returned. Empty when the id is unknown (already expired or deregistered); refused ({@code
   * wrong_credential}) without the member's credential.
   */
  public Optional<MembershipView> deregister(NodeId id, Optional<NodeCredential> presented) {
    Optional<MembershipView> after;
    synchronized (this) {
      after = remove(id, presented);
    }
    tellWaiting();
    return after;
  }

  private Optional<MembershipView> remove(NodeId id, Optional<NodeCredential> presented) {
    Member member = members.get(id);
    if (member == null) {
      return Optional.empty();
    }
    requireCredential(member, presented, "deregistration");
    Member removed = members.remove(id);
    log.info("Member {} at {} left (deregistered)", id, removed.address());
    changed();
    return Optional.of(view);
  }

  /**
   * Removes and returns members silent for longer than the ttl; the scheduler and tests call it.
   */
  public List<NodeId> expireStale() {
    List<NodeId> stale;
    synchronized (this) {
      Instant cutoff = clock.instant().minus(ttl);
      stale =
          members.values().stream()
              .filter(m -> m.seenBefore(cutoff))
              .map(Member::id)
              .sorted()
              .toList();
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
   * else when the list next changes. A caller that stops waiting should {@link #stopWaiting} so the
   * future does not stay referenced until the next change.
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

  private static void requireCredential(
      Member member, Optional<NodeCredential> presented, String what) {
    if (!member.credential().matches(presented.orElse(null))) {
      throw new KvException(
          ErrorCode.WRONG_CREDENTIAL,
          what
              + " for node "
              + member.id()
              + " (live at "
              + member.address()
              + ") does not carry that node's credential");
    }
  }

  private void changed() {
    version++;
    view =
        new MembershipView(
            version,
            members.values().stream()
                .sorted(Comparator.comparing(Member::id))
                .map(Member::info)
                .toList(),
            clock.millis());
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

  /**
   * What a registration gives back: the node's id, the address recorded, the list, and the
   * credential the node must present from now on.
   */
  public record Registration(
      NodeId id, Endpoint address, MembershipView view, NodeCredential credential) {}
}
