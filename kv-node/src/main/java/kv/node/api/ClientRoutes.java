package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.http.RequestBodies;
import kv.common.wire.MemberInfo;
import kv.node.membership.ViewInstaller;
import kv.node.protocol.ReplicaHeaders;
import kv.node.replication.Consistency;
import kv.node.replication.Coordinator;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.version.ClockOffsets;
import kv.node.version.Version;

/** The client API and introspection: parse, delegate to the coordinator once, render. */
public final class ClientRoutes {
  private static final String PUT = "/put";
  private static final String GET = "/get";
  private static final String DELETE = "/delete";
  private static final String LOCATE = "/locate";
  private static final String CLUSTER = "/cluster";

  /** The paths these routes serve (metrics are tagged by them; anything else is one tag). */
  public static final Set<String> PATHS = Set.of(PUT, GET, DELETE, LOCATE, CLUSTER);

  static final String OWNER = "X-Kv-Owner";
  static final String SERVED_BY = "X-Kv-Served-By";
  static final String COORDINATOR = "X-Kv-Coordinator";

  private final Coordinator coordinator;
  private final ViewHolder views;
  private final NodeId self;
  private final int maxValueBytes;
  private final Supplier<Optional<ViewInstaller.Installed>> installed;
  private final IntSupplier largestCluster;
  private final ClockOffsets clock;

  public ClientRoutes(
      Coordinator coordinator,
      ViewHolder views,
      NodeId self,
      int maxValueBytes,
      Supplier<Optional<ViewInstaller.Installed>> installed,
      IntSupplier largestCluster,
      ClockOffsets clock) {
    this.coordinator = coordinator;
    this.views = views;
    this.self = self;
    this.maxValueBytes = maxValueBytes;
    this.installed = installed;
    this.largestCluster = largestCluster;
    this.clock = clock;
  }

  public void registerOn(RoutesConfig routes) {
    routes.put(PUT, this::put);
    routes.get(GET, this::get);
    routes.delete(DELETE, this::delete);
    routes.get(LOCATE, this::locate);
    routes.get(CLUSTER, this::cluster);
  }

  private void put(Context ctx) {
    Key key = key(ctx);
    Optional<Consistency> w = consistency(ctx, "w");
    Value value = Value.copyOf(RequestBodies.read(ctx, maxValueBytes, "value", "MAX_VALUE_BYTES"));
    Responses.respond(
        ctx,
        coordinator.put(key, value, w),
        written -> {
          headers(ctx, written.owners(), written.acknowledged(), written.version());
          ctx.status(204);
        });
  }

  private void get(Context ctx) {
    Key key = key(ctx);
    Responses.respond(
        ctx,
        coordinator.get(key, consistency(ctx, "r")),
        found -> {
          headers(ctx, found.owners(), List.of(found.servedBy()), found.version());
          Responses.octets(ctx, found.value().toBytes());
        });
  }

  private void delete(Context ctx) {
    Key key = key(ctx);
    Responses.respond(
        ctx,
        coordinator.delete(key, consistency(ctx, "w")),
        deleted -> {
          headers(ctx, deleted.owners(), deleted.acknowledged(), deleted.version());
          ctx.status(204);
        });
  }

  private void locate(Context ctx) {
    Key key = key(ctx);
    ClusterView view = views.current();
    List<MemberInfo> owners =
        coordinator.owners(key).stream()
            .map(id -> new MemberInfo(id, view.endpoint(id).orElseThrow()))
            .toList();
    ctx.json(new Location(key.value(), Long.toUnsignedString(key.token()), owners));
  }

  private void cluster(Context ctx) {
    ClusterView view = views.current();
    Map<NodeId, Double> shares = view.ring().ownership();
    List<MemberState> members =
        view.members().entrySet().stream()
            .map(
                e ->
                    new MemberState(
                        e.getKey(),
                        e.getValue().toString(),
                        shares.getOrDefault(e.getKey(), 0.0),
                        e.getKey().value().equals(self.value())))
            .toList();
    ctx.json(
        new ClusterInfo(
            self.value(),
            view.version(),
            view.changedAt(),
            installed
                .get()
                .filter(i -> i.version() == view.version())
                .map(ViewState::of)
                .orElse(null),
            coordinator.policy().replicationFactor(),
            largestCluster.getAsInt(),
            ClockState.of(clock.verdict(), clock.maxOffsetMillis()),
            members));
  }

  private static Key key(Context ctx) {
    return Key.of(QueryString.param(ctx.queryString(), "key").orElse(null));
  }

  private static Optional<Consistency> consistency(Context ctx, String name) {
    return QueryString.param(ctx.queryString(), name).map(raw -> Consistency.parse(name, raw));
  }

  private void headers(Context ctx, List<NodeId> owners, List<NodeId> servedBy, Version version) {
    ctx.header(ReplicaHeaders.VERSION, version.toString());
    ctx.header(OWNER, join(owners));
    ctx.header(SERVED_BY, join(servedBy));
    ctx.header(COORDINATOR, self.value());
  }

  private static String join(List<NodeId> ids) {
    return ids.size() == 1
        ? ids.get(0).value()
        : String.join(",", ids.stream().map(NodeId::value).toList());
  }

  /** {@code GET /locate}: where a key lives on this node's ring. */
  record Location(String key, String token, List<MemberInfo> preferenceList) {}

  /**
   * {@code GET /cluster}: the members as this node sees them; {@code version} is the seed's list
   * version, made at {@code changedAt}; {@code largestCluster} the most members seen at once, which
   * N is capped at.
   */
  record ClusterInfo(
      String self,
      long version,
      long changedAt,
      ViewState installed,
      int replicationFactor,
      int largestCluster,
      ClockState clock,
      List<MemberState> members) {}

  /**
   * This node's clock against the cluster's: the median offset of the others' clocks from this one
   * (theirs minus ours), from how many sources, how many of them beyond {@code MAX_CLOCK_OFFSET},
   * and whether this node is skewed (it then coordinates no write).
   */
  record ClockState(
      long offsetMillis, int sources, int outOfBounds, boolean skewed, long maxOffsetMillis) {
    static ClockState of(ClockOffsets.Verdict verdict, long maxOffsetMillis) {
      return new ClockState(
          verdict.medianOffsetMillis(),
          verdict.sources(),
          verdict.outOfBounds(),
          verdict.skewed(),
          maxOffsetMillis);
    }
  }

  /** How this node got its current list: from whom, when, and how long after the seed's change. */
  record ViewState(String source, String from, long at, long delayMillis) {
    static ViewState of(ViewInstaller.Installed installed) {
      return new ViewState(
          installed.source().label(),
          installed.from(),
          installed.atMillis(),
          installed.delayMillis());
    }
  }

  /** One member in {@link ClusterInfo}; {@code ringShare} is its fraction of the token space. */
  record MemberState(NodeId id, String address, double ringShare, boolean self) {}
}
