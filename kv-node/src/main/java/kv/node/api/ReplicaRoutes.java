package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.ContentType;
import io.javalin.http.Context;
import java.util.Optional;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.handoff.HintWriter;
import kv.node.peer.ReplicaHeaders;
import kv.node.storage.StorageEngine;
import kv.node.version.HybridClock;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * {@code /internal/*}: replica operations another node's coordinator sends here. They touch only
 * this node's storage and are never forwarded again. Every call must carry the cluster token.
 * A record's version and tombstone flag travel in headers, its value as the raw body. A write
 * with {@code hint=<node>} comes from a coordinator that could not reach that replica: this node
 * keeps the record as a hint for it (sloppy quorum), not as its own.
 */
public final class ReplicaRoutes {
  private final StorageEngine storage;
  private final HintWriter hints;
  private final HybridClock clock;
  private final ClusterToken token;
  private final int maxValueBytes;

  public ReplicaRoutes(StorageEngine storage, HintWriter hints, HybridClock clock,
      ClusterToken token, int maxValueBytes) {
    this.storage = storage;
    this.hints = hints;
    this.clock = clock;
    this.token = token;
    this.maxValueBytes = maxValueBytes;
  }

  public void registerOn(RoutesConfig routes) {
    routes.before("/internal/*", this::authenticate);
    routes.get(ReplicaHeaders.PATH, this::read);
    routes.put(ReplicaHeaders.PATH, this::write);
  }

  private void read(Context ctx) {
    Key key = key(ctx);
    Versioned record = storage.get(key).orElseThrow(
        () -> new KvException(ErrorCode.NOT_FOUND, "no record for key: " + key.value()));
    ctx.header(ReplicaHeaders.VERSION, record.version().toString());
    if (record.isTombstone()) {
      ctx.header(ReplicaHeaders.TOMBSTONE, "true");
    }
    ctx.contentType(ContentType.APPLICATION_OCTET_STREAM).result(record.value().toBytes());
  }

  private void write(Context ctx) {
    Key key = key(ctx);
    String versionHeader = ctx.header(ReplicaHeaders.VERSION);
    if (versionHeader == null) {
      throw new KvException(ErrorCode.BAD_REQUEST, "missing " + ReplicaHeaders.VERSION + " header");
    }
    Version version = Version.parse(versionHeader);
    boolean tombstone = "true".equals(ctx.header(ReplicaHeaders.TOMBSTONE));
    Value value = Value.copyOf(RequestBodies.read(ctx, maxValueBytes));
    if (tombstone && value.size() != 0) {
      throw new KvException(ErrorCode.BAD_REQUEST, "a tombstone carries no value");
    }
    Optional<NodeId> hintFor = hintFor(ctx);
    clock.observe(version.timestamp());
    Versioned record = tombstone ? Versioned.tombstone(version) : Versioned.live(version, value);
    if (hintFor.isPresent()) {
      hints.store(hintFor.get(), key, record);
    } else {
      storage.apply(key, record);
    }
    ctx.status(204);
  }

  private void authenticate(Context ctx) {
    if (!token.admits(ctx.header(ClusterToken.HEADER))) {
      throw new KvException(ErrorCode.UNAUTHORIZED,
          "missing or wrong " + ClusterToken.HEADER + " header");
    }
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
