package kv.common;

import java.util.concurrent.CompletionException;

/** What {@link java.util.concurrent.CompletableFuture} stages hand on, made plain. */
public final class Futures {
  private Futures() {}

  /**
   * The failure itself: a stage downstream of a failed one sees it wrapped in a {@link
   * CompletionException}; a future failed directly hands it over as it is.
   */
  public static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
