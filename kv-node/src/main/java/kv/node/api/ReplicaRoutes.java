package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.RequestBodies;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.BodyLimits;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.replica.ReplicaService;
import kv.node.version.ClockBound;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * {@code /internal/*}: replica operations another node's coordinator sends here. They touch only
 * this node's storage and are never forwarded again. Every call must carry the cluster token
 * ({@link InternalGate} checks it). Peers send batches ({@code POST /internal/batch}, {@link
 * BatchCodec}); one operation alone is {@code GET}/{@code PUT /internal/kv}, a record's version and
 * tombstone flag in headers, its value as the raw body, for operators and tests. A write with a
 * hint ({@code hint=<node>}, or a batch's hinted write) comes from a coordinator that could not
 * reach that replica: this node keeps the record as a hint for it (sloppy quorum), not as its own.
 * Every record written passes the {@link ClockBound} first: one too far in the future is refused
 * with {@code 503 clock_skew} (in a batch, as that operation's reply) and nothing is stored. The
 * checks are {@link ReplicaService}'s; this class only parses and renders.
 */
public final class ReplicaRoutes {
  /** The paths these routes serve. */
  public static final Set<String> PATHS = Set.of(ReplicaHeaders.PATH, ReplicaHeaders.BATCH_PATH);

  private final ReplicaService replica;
  private final BodyLimits limits;

  public ReplicaRoutes(ReplicaService replica, BodyLimits limits) {
    this.replica = replica;
    this.limits = limits;
  }

  public void registerOn(RoutesConfig routes) {
    routes.get(ReplicaHeaders.PATH, this::read);
    routes.put(ReplicaHeaders.PATH, this::write);
    routes.post(ReplicaHeaders.BATCH_PATH, this::batch);
  }

  /**
   * Serves a batch in order, one reply per operation; an operation that fails gets its error as its
   * reply and the rest still run. A batch that does not decode is a {@code 400} and changes
   * nothing.
   */
  private void batch(Context ctx) {
    List<ReplicaOp> ops =
        BatchCodec.decodeOps(
            RequestBodies.read(
                ctx, limits.maxBatchBody(), "an operation batch", limits.batchLimit()));
    List<ReplicaReply> replies = new ArrayList<>(ops.size());
    String sender = sender(ctx);
    for (ReplicaOp op : ops) {
      replies.add(replica.serve(op, sender));
    }
    Responses.octets(ctx, BatchCodec.encodeReplies(replies));
  }

  private void read(Context ctx) {
    Key key = key(ctx);
    Versioned record =
        replica
            .read(key)
            .orElseThrow(
                () -> new KvException(ErrorCode.NOT_FOUND, "no record for key: " + key.value()));
    ctx.header(ReplicaHeaders.VERSION, record.version().toString());
    if (record.isTombstone()) {
      ctx.header(ReplicaHeaders.TOMBSTONE, "true");
    }
    Responses.octets(ctx, record.value().toBytes());
  }

  private void write(Context ctx) {
    Key key = key(ctx);
    String versionHeader = ctx.header(ReplicaHeaders.VERSION);
    if (versionHeader == null) {
      throw new KvException(ErrorCode.BAD_REQUEST, "missing " + ReplicaHeaders.VERSION + " header");
    }
    Version version = Version.parse(versionHeader);
    boolean tombstone = "true".equals(ctx.header(ReplicaHeaders.TOMBSTONE));
    Value value =
        Value.copyOf(RequestBodies.read(ctx, limits.maxValueBytes(), "value", "MAX_VALUE_BYTES"));
    if (tombstone && value.size() != 0) {
      throw new KvException(ErrorCode.BAD_REQUEST, "a tombstone carries no value");
    }
    Versioned record = tombstone ? Versioned.tombstone(version) : Versioned.live(version, value);
    replica.write(
        new ReplicaOp.Write(key, record, hintFor(ctx), ReplicaOp.Write.UNPLACED), sender(ctx));
    ctx.status(204);
  }

  /** The peer, by its address: the log line about a refused record names it. */
  static String sender(Context ctx) {
    return "the node at " + ctx.ip();
  }

  private static Optional<NodeId> hintFor(Context ctx) {
    try {
      return QueryString.param(ctx.queryString(), ReplicaHeaders.HINT).map(NodeId::of);
    } catch (IllegalArgumentException e) {
      throw new KvException(ErrorCode.BAD_REQUEST, ReplicaHeaders.HINT + ": " + e.getMessage());
    }
  }

  private static Key key(Context ctx) {
    return Key.of(QueryString.param(ctx.queryString(), "key").orElse(null));
  }
}
