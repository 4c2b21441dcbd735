package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.RequestBodies;
import kv.node.protocol.BodyLimits;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.SyncProtocol;
import kv.node.protocol.SyncRecord;
import kv.node.replica.ReplicaService;
import kv.node.ring.TokenRange;
import kv.node.version.ClockBound;

/**
 * The range operations other replicas call for rebalancing and anti-entropy: a range's Merkle
 * leaves, its records, and a batch of records to keep if newer. Like every {@code /internal/*}
 * route they require the cluster token (checked by {@link ReplicaRoutes}). A pushed record too far
 * in the future ({@link ClockBound}) is not kept; the others are, and the answer is then a {@code
 * 503 clock_skew} saying how many were refused, so the sender keeps its copy and retries.
 */
public final class SyncRoutes {
  /** The paths these routes serve. */
  public static final Set<String> PATHS =
      Set.of(SyncProtocol.MERKLE, SyncProtocol.RANGE, SyncProtocol.RECORDS);

  private final ReplicaService replica;
  private final BodyLimits limits;

  public SyncRoutes(ReplicaService replica, BodyLimits limits) {
    this.replica = replica;
    this.limits = limits;
  }

  public void registerOn(RoutesConfig routes) {
    routes.get(SyncProtocol.MERKLE, this::merkle);
    routes.get(SyncProtocol.RANGE, this::records);
    routes.post(SyncProtocol.RECORDS, this::apply);
  }

  private void merkle(Context ctx) {
    TokenRange range = range(ctx);
    long[] leaves = replica.tree(range, depth(ctx)).leaves();
    ByteBuffer bytes = ByteBuffer.allocate(leaves.length * Long.BYTES);
    bytes.asLongBuffer().put(leaves);
    ctx.header(SyncProtocol.PENDING, Boolean.toString(replica.isReceiving(range)));
    Responses.octets(ctx, bytes.array());
  }

  /** One page of the range's records; a range of any size is answered within bounded memory. */
  private void records(Context ctx) {
    RecordCodec.Page page = replica.page(range(ctx), BodyLimits.PAGE_BYTES);
    page.resumeAfter()
        .ifPresent(token -> ctx.header(SyncProtocol.RESUME_AFTER, Long.toString(token)));
    Responses.octets(ctx, page.bytes());
  }

  private void apply(Context ctx) {
    List<SyncRecord> records = // all decoded before any applies: a bad batch changes nothing
        RecordCodec.decode(
            RequestBodies.read(ctx, limits.maxPushBody(), "a record batch", limits.pushLimit()));
    replica.acceptPushed(records, ReplicaRoutes.sender(ctx));
    ctx.status(204);
  }

  private static TokenRange range(Context ctx) {
    return new TokenRange(token(ctx, "start"), token(ctx, "end"));
  }

  private static long token(Context ctx, String name) {
    String text =
        QueryString.param(ctx.queryString(), name)
            .orElseThrow(
                () ->
                    new KvException(
                        ErrorCode.BAD_REQUEST, "missing query parameter '" + name + "'"));
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "query parameter '" + name + "' must be a signed 64-bit token, got: " + text);
    }
  }

  private static int depth(Context ctx) {
    String text =
        QueryString.param(ctx.queryString(), "depth")
            .orElse(Integer.toString(MerkleTree.DEFAULT_DEPTH));
    try {
      return MerkleTree.checkDepth(Integer.parseInt(text));
    } catch (IllegalArgumentException e) { // NumberFormatException is one
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "query parameter 'depth' must be 0.." + MerkleTree.MAX_DEPTH + ", got: " + text);
    }
  }
}
