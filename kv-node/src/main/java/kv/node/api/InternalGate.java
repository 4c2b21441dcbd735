package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.Set;
import java.util.function.Supplier;
import kv.common.ClusterToken;
import kv.common.Endpoint;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.ClockHeader;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ViewExchange;
import kv.node.ring.ClusterView;

/**
 * What every {@code /internal/*} request passes before its route: the cluster token, then the view
 * exchange (the caller's member-list version is heard, this node's goes on the answer), so that
 * every node-to-node call also spreads membership changes, and this node's clock stamp, from which
 * the caller measures its clock offset. Only a caller that presented the token is listened to. Also
 * serves {@code GET /internal/view}, this node's list, from which a peer that heard of it catches
 * up when the seed does not answer.
 */
public final class InternalGate {
  /** The paths these routes serve. */
  public static final Set<String> PATHS = Set.of(ReplicaHeaders.VIEW_PATH);

  private final ClusterToken token;
  private final ViewExchange exchange;
  private final Supplier<ClusterView> view;
  private final Clock clock;

  public InternalGate(
      ClusterToken token, ViewExchange exchange, Supplier<ClusterView> view, Clock clock) {
    this.token = token;
    this.exchange = exchange;
    this.view = view;
    this.clock = clock;
  }

  public void registerOn(RoutesConfig routes) {
    routes.before("/internal/*", this::admit);
    routes.get(ReplicaHeaders.VIEW_PATH, ctx -> ctx.json(view.get().toWire()));
  }

  private void admit(Context ctx) {
    if (!token.admits(ctx.header(ClusterToken.HEADER))) {
      throw new KvException(
          ErrorCode.UNAUTHORIZED, "missing or wrong " + ClusterToken.HEADER + " header");
    }
    ctx.header(ReplicaHeaders.VIEW, Long.toString(exchange.version()));
    ctx.header(ClockHeader.NAME, Long.toString(clock.millis())); // the caller's offset sample
    String version = ctx.header(ReplicaHeaders.VIEW);
    String from = ctx.header(ReplicaHeaders.FROM);
    if (version != null && from != null) {
      exchange.heard(parse(version), address(from));
    }
  }

  private static long parse(String version) {
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          ReplicaHeaders.VIEW + " must be a member-list version, got: " + version);
    }
  }

  private static Endpoint address(String from) {
    try {
      return Endpoint.parse(from);
    } catch (IllegalArgumentException e) {
      throw new KvException(ErrorCode.BAD_REQUEST, ReplicaHeaders.FROM + ": " + e.getMessage());
    }
  }
}
