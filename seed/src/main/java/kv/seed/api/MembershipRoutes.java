package kv.seed.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.time.Clock;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Json;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.DeregisterRequest;
import kv.common.wire.Health;
import kv.common.wire.HeartbeatRequest;
import kv.common.wire.RegisterRequest;
import kv.common.wire.RegisterResponse;
import kv.seed.membership.MemberRegistry;

/**
 * The seed's HTTP API: parse, delegate to the registry once, render. Refusals (wrong cluster token,
 * someone else's id) are logged at WARN, rate-limited.
 */
public final class MembershipRoutes {
  private final MemberRegistry registry;
  private final ObjectMapper mapper;
  private final ClusterToken token;
  private final RefusalLog refusals;

  public MembershipRoutes(
      MemberRegistry registry, ObjectMapper mapper, ClusterToken token, Clock clock) {
    this.registry = registry;
    this.mapper = mapper;
    this.token = token;
    this.refusals = new RefusalLog(clock);
  }

  public void registerOn(RoutesConfig routes) {
    routes.post("/register", logRefusals(this::register));
    routes.post("/heartbeat", logRefusals(this::heartbeat));
    routes.post("/deregister", logRefusals(this::deregister));
    routes.get("/members", ctx -> ctx.json(registry.view()));
    routes.get("/health", ctx -> ctx.json(new Health(Health.Status.UP)));
  }

  private void register(Context ctx) {
    authenticate(ctx);
    RegisterRequest request = Json.readBody(mapper, ctx.bodyAsBytes(), RegisterRequest.class);
    Endpoint address = request.address() != null
        ? request.address()
        : new Endpoint(ctx.ip(), request.port());
    var registration = registry.register(Optional.ofNullable(request.nodeId()), address,
        Optional.ofNullable(request.credential()));
    ctx.json(new RegisterResponse(registration.id(), registration.address(), registration.view(),
        registration.credential()));
  }

  private void heartbeat(Context ctx) {
    authenticate(ctx);
    HeartbeatRequest request = Json.readBody(mapper, ctx.bodyAsBytes(), HeartbeatRequest.class);
    var credential = Optional.ofNullable(request.credential());
    ctx.json(registry.heartbeat(request.nodeId(), credential).orElseThrow(() -> new KvException(
        ErrorCode.UNKNOWN_NODE, "node " + request.nodeId() + " is not registered; register again")));
  }

  private void deregister(Context ctx) {
    authenticate(ctx);
    DeregisterRequest request = Json.readBody(mapper, ctx.bodyAsBytes(), DeregisterRequest.class);
    var credential = Optional.ofNullable(request.credential());
    ctx.json(registry.deregister(request.nodeId(), credential).orElseThrow(() -> new KvException(
        ErrorCode.UNKNOWN_NODE, "node " + request.nodeId() + " is not registered")));
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
      throw new KvException(ErrorCode.UNAUTHORIZED,
          "missing or wrong " + ClusterToken.HEADER + " header");
    }
  }
}
