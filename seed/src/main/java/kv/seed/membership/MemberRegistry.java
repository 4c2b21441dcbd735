package kv.seed.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * remove someone else's node. The credential is forgotten with the member (expiry,
 * deregistration, a seed restart): the next registration under the id sets it again, trust on
 * first use, as Consul lets a node name be taken over once its holder has failed.
 *
 * <p>Thread-safe: all state is guarded by {@code this}. Traffic is a heartbeat per node every few
 * seconds, so one lock is simpler than anything cleverer and costs nothing measurable.
 */
public final class MemberRegistry {
  private static final Logger log = LoggerFactory.getLogger(MemberRegistry.class);

  private final Map<NodeId, Member> members = new HashMap<>();
  private final Clock clock;
  private final Duration ttl;
  private final Supplier<NodeId> idGenerator;
  private long version;
  private MembershipView view;

  public MemberRegistry(Clock clock, Duration ttl, Supplier<NodeId> idGenerator) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    this.clock = clock;
    this.ttl = ttl;
    this.idGenerator = idGenerator;
    this.version = clock.millis();
    this.view = new MembershipView(version, List.of());
  }

  /**
   * Admits a node under the id it asks for (or a new one) at {@code address}. A live id takes its
   * member's credential; a free one takes the credential presented, or a new one when none is.
   */
  public synchronized Registration register(
      Optional<NodeId> requested, Endpoint address, Optional<NodeCredential> presented) {
    NodeId id = requested.orElseGet(this::unusedId);
    Member previous = members.get(id);
    if (previous != null && !previous.credential().matches(presented.orElse(null))) {
      throw new KvException(ErrorCode.ID_IN_USE, "node id " + id + " is registered by a live node"
          + " at " + previous.address() + " and this registration (at " + address + ") does not"
          + " carry its credential: is another node running with the same NODE_ID? The id is"
          + " free again once that node deregisters or has been silent for NODE_TTL ("
          + ttl.toMillis() + " ms)");
    }
    NodeCredential credential = previous != null
        ? previous.credential()
        : presented.orElseGet(NodeCredential::random);
    members.put(id, new Member(id, address, clock.instant(), credential));
    if (previous == null || !previous.address().equals(address)) {
      log.info("Member {} joined at {}{}", id, address,
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
  public synchronized Optional<MembershipView> deregister(
      NodeId id, Optional<NodeCredential> presented) {
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

  /** Removes and returns members silent for longer than the ttl; the scheduler and tests call it. */
  public synchronized List<NodeId> expireStale() {
    Instant cutoff = clock.instant().minus(ttl);
    List<NodeId> stale =
        members.values().stream().filter(m -> m.seenBefore(cutoff)).map(Member::id).sorted().toList();
    if (!stale.isEmpty()) {
      stale.forEach(members::remove);
      log.info("Members expired after {} of silence: {}", ttl, stale);
      changed();
    }
    return stale;
  }

  public synchronized MembershipView view() {
    return view;
  }

  private static void requireCredential(
      Member member, Optional<NodeCredential> presented, String what) {
    if (!member.credential().matches(presented.orElse(null))) {
      throw new KvException(ErrorCode.WRONG_CREDENTIAL, what + " for node " + member.id()
          + " (live at " + member.address() + ") does not carry that node's credential");
    }
  }

  private void changed() {
    version++;
    view = new MembershipView(version, members.values().stream()
        .sorted(Comparator.comparing(Member::id))
        .map(Member::info)
        .toList());
  }

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
