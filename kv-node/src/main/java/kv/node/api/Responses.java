package kv.node.api;

import io.javalin.http.Context;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Renders a coordinator future. A future that is already complete (the key is local) is rendered
 * on the request thread; only a request waiting on a peer goes asynchronous, so the local path
 * pays nothing for the remote one.
 */
final class Responses {
  private Responses() {}

  static <T> void respond(Context ctx, CompletableFuture<T> future, Consumer<T> render) {
    if (future.isDone()) {
      render.accept(joinUnwrapped(future));
    } else {
      ctx.future(() -> future.thenAccept(render));
    }
  }

  private static <T> T joinUnwrapped(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }
}
