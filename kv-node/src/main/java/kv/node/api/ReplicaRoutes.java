package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.http.RequestBodies;
import kv.node.handoff.HintWriter;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.replication.Superseding;
import kv.node.ring.StalePlacement;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /internal/*}: replica operations another node's coordinator sends here. They touch only
 * this node's storage and are never forwarded again. Every call must carry the cluster token
 * ({@link InternalGate} checks it). Peers send batches ({@code POST /internal/batch}, {@link
 * BatchCodec}); one operation alone is {@code GET}/{@code PUT /internal/kv}, a record's version and
 * tombstone flag in headers, its value as the raw body, for operators and tests. A write with a
 * hint ({@code hint=<node>}, or a batch's hinted write) comes from a coordinator that could not
 * reach that replica: this node keeps the record as a hint for it (sloppy quorum), not as its own.
 * Every record written passes the {@link ClockBound} first: one too far in the future is refused
 * with {@code 503 clock_skew} (in a batch, as that operation's reply) and nothing is stored.
 */
public final class ReplicaRoutes {
  private static final Logger log = LoggerFactory.getLogger(ReplicaRoutes.class);

  private final StorageEngine storage;
  private final HintWriter hints;
  private final ClockBound clockBound;
  private final StalePlacement placement;
  private final int maxValueBytes;
  private final int maxBatchBytes;

  public ReplicaRoutes(
      StorageEngine storage,
      HintWriter hints,
      ClockBound clockBound,
      StalePlacement placement,
      int maxValueBytes,
      int maxBatchBytes) {
    this.storage = storage;
    this.hints = hints;
    this.clockBound = clockBound;
    this.placement = placement;
    this.maxValueBytes = maxValueBytes;
    this.maxBatchBytes = maxBatchBytes;
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
                ctx,
                maxBatchBytes,
                "an operation batch",
                "a batch's limit: 256 KiB plus MAX_VALUE_BYTES and 64 KiB"));
    List<ReplicaReply> replies = new ArrayList<>(ops.size());
    String sender = sender(ctx);
    for (ReplicaOp op : ops) {
      replies.add(serve(op, sender));
    }
    Responses.octets(ctx, BatchCodec.encodeReplies(replies));
  }

  private ReplicaReply serve(ReplicaOp op, String sender) {
    try {
      if (op instanceof ReplicaOp.Write w) {
        if (w.record().value().size() > maxValueBytes) {
          throw new KvException(
              ErrorCode.VALUE_TOO_LARGE,
              "value is "
                  + w.record().value().size()
                  + " bytes; the limit is "
                  + maxValueBytes
                  + " bytes (MAX_VALUE_BYTES)");
        }
        placement.check(w.key(), w.placedOn());
        return apply(w.key(), w.record(), w.hintFor(), sender)
            .<ReplicaReply>map(ReplicaReply.Superseded::new)
            .orElseGet(ReplicaReply.Written::new);
      }
      return storage
          .get(op.key())
          .<ReplicaReply>map(ReplicaReply.Found::new)
          .orElseGet(ReplicaReply.Missing::new);
    } catch (KvException e) {
      return ReplicaReply.Failed.of(e);
    } catch (RuntimeException e) {
      log.error("Replica operation on {} failed", op.key().value(), e);
      return new ReplicaReply.Failed(ErrorCode.INTERNAL, "internal error: " + e);
    }
  }

  private void read(Context ctx) {
    Key key = key(ctx);
    Versioned record =
        storage
            .get(key)
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
    Value value = Value.copyOf(RequestBodies.read(ctx, maxValueBytes, "value", "MAX_VALUE_BYTES"));
    if (tombstone && value.size() != 0) {
      throw new KvException(ErrorCode.BAD_REQUEST, "a tombstone carries no value");
    }
    Versioned record = tombstone ? Versioned.tombstone(version) : Versioned.live(version, value);
    apply(key, record, hintFor(ctx), sender(ctx));
    ctx.status(204);
  }

  /** Keeps the record (or the hint); the newer version this node holds instead, if it does. */
  private Optional<Version> apply(
      Key key, Versioned record, Optional<NodeId> hintFor, String sender) {
    clockBound.admit(
        record.version(), hintFor.isPresent() ? ClockBound.Via.HINT : ClockBound.Via.WRITE, sender);
    if (hintFor.isPresent()) {
      hints.store(hintFor.get(), key, record);
      return Optional.empty();
    }
    return storage.apply(key, record) ? Optional.empty() : Superseding.held(storage, key, record);
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
