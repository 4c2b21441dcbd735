package kv.node.api;

import io.javalin.config.RoutesConfig;
import io.javalin.http.ContentType;
import io.javalin.http.Context;
import kv.common.ClusterToken;
import kv.common.Key;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.storage.StorageEngine;

/**
 * {@code /internal/*}: replica operations another node's coordinator sends here. They touch only
 * this node's storage and are never forwarded again. Every call must carry the cluster token.
 */
public final class ReplicaRoutes {
  static final String PATH = "/internal/kv";

  private final StorageEngine storage;
  private final ClusterToken token;
  private final int maxValueBytes;

  public ReplicaRoutes(StorageEngine storage, ClusterToken token, int maxValueBytes) {
    this.storage = storage;
    this.token = token;
    this.maxValueBytes = maxValueBytes;
  }

  public void registerOn(RoutesConfig routes) {
    routes.before("/internal/*", this::authenticate);
    routes.get(PATH, this::get);
    routes.put(PATH, ctx -> {
      Key key = key(ctx);
      storage.put(key, Value.copyOf(RequestBodies.read(ctx, maxValueBytes)));
      ctx.status(204);
    });
    routes.delete(PATH, ctx -> {
      storage.delete(key(ctx));
      ctx.status(204);
    });
  }

  private void get(Context ctx) {
    Key key = key(ctx);
    Value value = storage.get(key).orElseThrow(
        () -> new KvException(ErrorCode.NOT_FOUND, "key not found: " + key.value()));
    ctx.contentType(ContentType.APPLICATION_OCTET_STREAM).result(value.toBytes());
  }

  private void authenticate(Context ctx) {
    if (!token.admits(ctx.header(ClusterToken.HEADER))) {
      throw new KvException(ErrorCode.UNAUTHORIZED,
          "missing or wrong " + ClusterToken.HEADER + " header");
    }
  }

  private static Key key(Context ctx) {
    return Key.of(QueryString.param(ctx.queryString(), "key").orElse(null));
  }
}
