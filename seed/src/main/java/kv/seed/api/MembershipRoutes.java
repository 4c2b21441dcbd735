package kv.seed.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Durations;
import kv.common.Endpoint;
import kv.common.Json;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.ClockHeader;
import kv.common.http.RequestBodies;
import kv.common.wire.DeregisterRequest;
import kv.common.wire.Health;
import kv.common.wire.HeartbeatRequest;
import kv.common.wire.RegisterRequest;
import kv.common.wire.RegisterResponse;
import kv.seed.membership.MemberRegistry;
import kv.seed.membership.MemberWatches;

/**
 * The seed's HTTP API: parse, delegate to the registry once, render. Refusals (wrong cluster token,
 * someone else's id) are logged at WARN, rate-limited.
 */
public final class MembershipRoutes {
  /** The largest request body the seed reads: its messages are a few short JSON fields. */
  public static final int MAX_BODY_BYTES = 4096;

  /** How long a watch waits when it names an index but no {@code wait}. */
  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);

  private final MemberRegistry registry;
  private final MemberWatches watches;
  private final ObjectMapper mapper;
  private final ClusterToken token;
  private final RefusalLog refusals;
  private final Clock clock;

  public MembershipRoutes(
      MemberRegistry registry,
      MemberWatches watches,
      ObjectMapper mapper,
      ClusterToken token,
      Clock clock) {
    this.registry = registry;
    this.watches = watches;
    this.mapper = mapper;
    this.token = token;
    this.refusals = new RefusalLog(clock);
    this.clock = clock;
  }

  public void registerOn(RoutesConfig routes) {
    // every answer carries the seed's clock: nodes measure their offset from it
    routes.before(ctx -> ctx.header(ClockHeader.NAME, Long.toString(clock.millis())));
    routes.post("/register", logRefusals(this::register));
    routes.post("/heartbeat", logRefusals(this::heartbeat));
    routes.post("/deregister", logRefusals(this::deregister));
    routes.get("/members", logRefusals(this::members));
    routes.get("/health", ctx -> ctx.json(new Health(Health.Status.UP)));
  }

  /**
   * The list; with {@code index=V} a blocking query (Consul's): answered once the list's version
   * differs from V, or with the unchanged list after {@code wait} (default 30 s, at most the seed's
   * maximum). A watch needs the cluster token; the plain list does not.
   */
  private void members(Context ctx) {
    String index = ctx.queryParam("index");
    String wait = ctx.queryParam("wait");
    if (index == null) {
      if (wait != null) {
        throw new KvException(
            ErrorCode.BAD_REQUEST, "wait needs index: GET /members?index=V&wait=D");
      }
      ctx.json(registry.view());
      return;
    }
    authenticate(ctx);
    var change = watches.await(index(index), wait == null ? DEFAULT_WAIT : waitFor(wait));
    ctx.future(() -> change.thenAccept(ctx::json));
  }

  private static long index(String text) {
    try {
      long index = Long.parseLong(text);
      if (index >= 0) {
        return index;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new KvException(
        ErrorCode.BAD_REQUEST,
        "index must be a list version (a non-negative integer), got: " + text);
  }

  private Duration waitFor(String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "wait: " + e.getMessage() + "; at most " + watches.maxWait().toSeconds() + "s is used");
    }
  }

  private void register(Context ctx) {
    authenticate(ctx);
    RegisterRequest request = read(ctx, RegisterRequest.class);
    Endpoint address =
        request.address() != null ? request.address() : new Endpoint(ctx.ip(), request.port());
    var registration =
        registry.register(
            Optional.ofNullable(request.nodeId()),
            address,
            Optional.ofNullable(request.credential()));
    ctx.json(
        new RegisterResponse(
            registration.id(),
            registration.address(),
            registration.view(),
            registration.credential()));
  }

  private void heartbeat(Context ctx) {
    authenticate(ctx);
    HeartbeatRequest request = read(ctx, HeartbeatRequest.class);
    var credential = Optional.ofNullable(request.credential());
    ctx.json(
        registry
            .heartbeat(request.nodeId(), credential)
            .orElseThrow(
                () ->
                    new KvException(
                        ErrorCode.UNKNOWN_NODE,
                        "node " + request.nodeId() + " is not registered; register again")));
  }

  private void deregister(Context ctx) {
    authenticate(ctx);
    DeregisterRequest request = read(ctx, DeregisterRequest.class);
    var credential = Optional.ofNullable(request.credential());
    ctx.json(
        registry
            .deregister(request.nodeId(), credential)
            .orElseThrow(
                () ->
                    new KvException(
                        ErrorCode.UNKNOWN_NODE,
                        "node " + request.nodeId() + " is not registered")));
  }

  /**
   * The body as {@code type}: too long is a {@code 413}, unreadable or not the type a {@code 400}.
   */
  private <T> T read(Context ctx, Class<T> type) {
    byte[] body =
        RequestBodies.read(
            ctx,
            MAX_BODY_BYTES,
            "a " + type.getSimpleName() + " body",
            "the seed's limit for a request body");
    return Json.readBody(mapper, body, type);
  }

  private Handler logRefusals(Handler route) {
    return ctx -> {
      try {
        route.handle(ctx);
      } catch (KvException e) {
        refusals.note(e, ctx.path(), ctx.ip());
        throw e;
      }
    };
  }

  private void authenticate(Context ctx) {
    if (!token.admits(ctx.header(ClusterToken.HEADER))) {
      throw new KvException(
          ErrorCode.UNAUTHORIZED, "missing or wrong " + ClusterToken.HEADER + " header");
    }
  }
}
