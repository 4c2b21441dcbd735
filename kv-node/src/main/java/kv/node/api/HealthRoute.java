package kv.node.api;

import io.javalin.config.RoutesConfig;
import java.util.function.Supplier;
import kv.common.wire.Health;

/**
 * {@code GET /health}: {@code 200 {"status":"UP"}} while the node takes requests, {@code 503
 * {"status":"STOPPING"}} once a graceful shutdown has begun, so load balancers and orchestrators
 * stop sending it traffic while it drains, and {@code 503 {"status":"CLOCK_SKEW"}} while its clock
 * is off by more than {@code MAX_CLOCK_OFFSET} (it coordinates no write then).
 */
public final class HealthRoute {
  public static final String PATH = "/health";

  private final Supplier<Health.Status> status;

  public HealthRoute(Supplier<Health.Status> status) {
    this.status = status;
  }

  public void registerOn(RoutesConfig routes) {
    routes.get(
        PATH,
        ctx -> {
          Health.Status now = status.get();
          ctx.status(now == Health.Status.UP ? 200 : 503).json(new Health(now));
        });
  }
}
