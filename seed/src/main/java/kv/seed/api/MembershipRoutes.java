package kv.seed.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.Json;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.RequestBodies;
import kv.common.wire.DeregisterRequest;
import kv.common.wire.Health;
import kv.common.wire.HeartbeatRequest;
import kv.common.wire.RegisterRequest;
import kv.common.wire.RegisterResponse;
import kv.seed.membership.MemberRegistry;

/** The seed's HTTP API: parse, delegate to the registry once, render. */
public final class MembershipRoutes {
  /** The largest request body the seed reads: its messages are a few short JSON fields. */
  public static final int MAX_BODY_BYTES = 4096;

  private final MemberRegistry registry;
  private final ObjectMapper mapper;
  private final ClusterToken token;

  public MembershipRoutes(MemberRegistry registry, ObjectMapper mapper, ClusterToken token) {
    this.registry = registry;
    this.mapper = mapper;
    this.token = token;
  }

  public void registerOn(RoutesConfig routes) {
    routes.post("/register", this::register);
    routes.post("/heartbeat", this::heartbeat);
    routes.post("/deregister", this::deregister);
    routes.get("/members", ctx -> ctx.json(registry.view()));
    routes.get("/health", ctx -> ctx.json(new Health(Health.Status.UP)));
  }

  private void register(Context ctx) {
    authenticate(ctx);
    RegisterRequest request = read(ctx, RegisterRequest.class);
    Endpoint address = request.address() != null
        ? request.address()
        : new Endpoint(ctx.ip(), request.port());
    var registration = registry.register(Optional.ofNullable(request.nodeId()), address);
    ctx.json(new RegisterResponse(registration.id(), registration.address(), registration.view()));
  }

  private void heartbeat(Context ctx) {
    authenticate(ctx);
    HeartbeatRequest request = read(ctx, HeartbeatRequest.class);
    ctx.json(registry.heartbeat(request.nodeId()).orElseThrow(() -> new KvException(
        ErrorCode.UNKNOWN_NODE, "node " + request.nodeId() + " is not registered; register again")));
  }

  private void deregister(Context ctx) {
    authenticate(ctx);
    DeregisterRequest request = read(ctx, DeregisterRequest.class);
    ctx.json(registry.deregister(request.nodeId()).orElseThrow(() -> new KvException(
        ErrorCode.UNKNOWN_NODE, "node " + request.nodeId() + " is not registered")));
  }

  /** The body as {@code type}: too long is a {@code 413}, unreadable or not the type a {@code 400}. */
  private <T> T read(Context ctx, Class<T> type) {
    byte[] body = RequestBodies.read(ctx, MAX_BODY_BYTES, "a " + type.getSimpleName() + " body",
        "the seed's limit for a request body");
    return Json.readBody(mapper, body, type);
  }

  private void authenticate(Context ctx) {
    if (!token.admits(ctx.header(ClusterToken.HEADER))) {
      throw new KvException(ErrorCode.UNAUTHORIZED,
          "missing or wrong " + ClusterToken.HEADER + " header");
    }
  }
}
