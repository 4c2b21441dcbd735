package kv.node.membership;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import kv.common.Endpoint;
import kv.common.NodeCredential;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import kv.common.wire.RegisterRequest;
import kv.common.wire.RegisterResponse;
import kv.node.ring.ViewHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node registered with the seed and its ring current. {@link #tick()} is the whole
 * background job: register if not registered (retrying every tick until the seed answers),
 * otherwise heartbeat once the interval has passed, and offer each list the seed answers with to
 * the {@link ViewInstaller} (which installs only newer ones). Heartbeats are the liveness signal
 * and the polling path; changes normally arrive sooner through the {@link SeedWatch}, which starts
 * once this node has registered. When the seed is unreachable the node keeps its last view; when
 * the seed has forgotten it, it registers again under the same id.
 *
 * <p>A node without a configured or persisted id picks one itself and persists it before its first
 * registration, so a registration retried after a client-side timeout (the seed may have processed
 * the first one) asks for the same id instead of leaving a phantom member under a second one.
 *
 * <p>The node proves its id with a credential (see the seed's {@code MemberRegistry}), kept next to
 * the id. It picks one at first start and persists it before registering, for the same reason: a
 * retry presents the same credential, so the seed recognises the registration it already took. When
 * the seed refuses the id ({@code id_in_use}: a live node holds it, most likely another node
 * started with the same {@code NODE_ID}) or the cluster token, the node says so once in its log and
 * keeps asking every tick: the refusal may be a stale registration of its own (restarted without
 * its credential) that expires after NODE_TTL.
 *
 * <p>Only the scheduler thread (or a test) calls {@link #tick()}; the fields it writes are confined
 * to that thread, except {@link #credential} and {@link #left}, which are volatile for readers.
 * {@link #deregister()} runs on the shutdown thread once the scheduler has stopped.
 */
public final class MembershipWatcher {
  private static final Logger log = LoggerFactory.getLogger(MembershipWatcher.class);

  private final SeedClient seed;
  private final ViewHolder views;
  private final ViewInstaller installer;
  private final NodeIdStore idStore;
  private final Clock clock;
  private final Duration heartbeatInterval;
  private final Optional<Endpoint> advertised;
  private final int port;
  private final NodeId id;
  private volatile NodeCredential credential;
  private volatile boolean left;
  private boolean registered;
  private String lastRefusal;
  private boolean seedReachable = true;
  private Instant lastHeartbeat = Instant.MIN;
  private final CountDownLatch registeredOnce = new CountDownLatch(1);

  /** {@code id} is this node's, resolved before anything is wired ({@link NodeIdStore#resolve}). */
  public MembershipWatcher(
      SeedClient seed,
      ViewHolder views,
      ViewInstaller installer,
      NodeIdStore idStore,
      NodeId id,
      Optional<Endpoint> advertised,
      int port,
      Clock clock,
      Duration heartbeatInterval) {
    this.seed = seed;
    this.views = views;
    this.installer = installer;
    this.idStore = idStore;
    this.id = id;
    this.clock = clock;
    this.heartbeatInterval = heartbeatInterval;
    this.advertised = advertised;
    this.port = port;
    this.credential = idStore.resolveCredential();
  }

  /** This node's id: configured, persisted, or picked at first start. */
  public NodeId id() {
    return id;
  }

  public boolean isRegistered() {
    return registered;
  }

  /** Blocks until this node has registered once (the watch starts then); false if it never does. */
  boolean awaitFirstRegistration() throws InterruptedException {
    registeredOnce.await();
    return !left;
  }

  /** One pass of the background job; the scheduler calls it every second, tests directly. */
  public void tick() {
    if (left) {
      return; // deregistered for shutdown: registering again would bring the node back
    }
    try {
      if (!registered) {
        register();
      } else if (heartbeatDue(clock.instant())) {
        heartbeat();
      }
    } catch (KvException e) {
      switch (e.code()) {
        case ID_IN_USE, UNAUTHORIZED -> refused(e);
        default -> seedUnreachable(e);
      }
    } catch (RuntimeException e) {
      log.error("Membership tick failed; retrying on the next tick", e);
    }
  }

  /**
   * Leaves the cluster for good: tells the seed (one bounded call, best effort) and stops every
   * later {@link #tick()}. Returns whether the seed confirmed; a seed that is down or no longer
   * knows this node lets it expire after NODE_TTL as before.
   */
  public boolean deregister() {
    left = true;
    registeredOnce.countDown(); // a watch still waiting for the first registration gives up
    try {
      MembershipView view = seed.deregister(id, credential);
      registered = false;
      log.info(
          "Deregistered {} from the seed at {}; member list version now {}",
          id,
          seed.url(),
          view.version());
      return true;
    } catch (KvException e) {
      log.warn(
          "Could not deregister {} from the seed ({}); it will expire after NODE_TTL",
          id,
          e.getMessage());
      return false;
    } catch (RuntimeException e) {
      log.error("Deregistering {} failed; it will expire after NODE_TTL", id, e);
      return false;
    }
  }

  private void register() {
    RegisterResponse answer =
        seed.register(new RegisterRequest(id, advertised.orElse(null), port, credential));
    if (!id.equals(answer.nodeId())) { // the seed honours the id asked for, or refuses it
      throw new KvException(
          ErrorCode.UNAVAILABLE,
          "the seed registered this node as " + answer.nodeId() + " when it asked for " + id);
    }
    if (answer.credential() != null && !answer.credential().equals(credential)) {
      idStore.saveCredential(answer.credential()); // issued by the seed instead of ours
      credential = answer.credential();
    }
    registered = true;
    lastRefusal = null;
    lastHeartbeat = clock.instant();
    seedReachable = true;
    log.info("Registered with the seed at {} as {} at {}", seed.url(), id, answer.address());
    installer.offer(answer.view(), ViewSource.REGISTER, seed.url().toString());
    registeredOnce.countDown();
  }

  private void heartbeat() {
    try {
      MembershipView view = seed.heartbeat(id, credential);
      lastHeartbeat = clock.instant();
      if (!seedReachable) {
        log.info("Seed at {} reachable again", seed.url());
        seedReachable = true;
      }
      installer.offer(view, ViewSource.HEARTBEAT, seed.url().toString());
    } catch (KvException e) {
      if (e.code() == ErrorCode.WRONG_CREDENTIAL) {
        log.warn(
            "{}: another node holds {} at the seed now; registering again", e.getMessage(), id);
      } else if (e.code() == ErrorCode.UNKNOWN_NODE) {
        log.info("Seed no longer knows {} (expired, or the seed restarted); registering again", id);
      } else {
        throw e;
      }
      registered = false;
      register();
    }
  }

  /** The seed answers, but not yes: said once per reason, retried every tick. */
  private void refused(KvException e) {
    if (e.getMessage().equals(lastRefusal)) {
      return;
    }
    lastRefusal = e.getMessage();
    String what =
        e.code() == ErrorCode.ID_IN_USE
            ? "Not joining as " + id + " until then; asking the seed again every tick"
            : "Cannot join: the seed at "
                + seed.url()
                + " refuses this node's cluster token; set the"
                + " seed's CLUSTER_TOKEN or CLUSTER_TOKEN_FILE on this node (is SEED_URL this"
                + " cluster's seed?). Asking again every tick";
    log.error("{}. {}", e.getMessage(), what);
  }

  /**
   * Once the interval has passed since the last heartbeat, or at once if this node's clock went
   * back past it (a clock stepped back must not silence the node until the seed expires it).
   */
  private boolean heartbeatDue(Instant now) {
    return !now.isBefore(lastHeartbeat.plus(heartbeatInterval)) || now.isBefore(lastHeartbeat);
  }

  private void seedUnreachable(KvException e) {
    if (seedReachable || !registered) {
      log.warn(
          "{}; {}",
          e.getMessage(),
          registered
              ? "serving with membership version " + views.current().version()
              : "waiting for the seed, will retry every tick");
    }
    seedReachable = false;
  }
}
