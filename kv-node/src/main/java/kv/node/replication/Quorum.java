package kv.node.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.error.QuorumNotMetException;

/**
 * Waits for {@code required} of a set of replica calls. Completes with the first {@code required}
 * answers as soon as they arrive. When too many fail, it fails once every call has settled, so
 * the error says exactly how many replicas answered (each call is bounded by its own timeout, so
 * this never hangs, and a refused connection settles at once). It fails at once with a replica's
 * own error when that replica rejected the request as invalid (a 4xx every replica would give).
 */
final class Quorum<T> {
  private final int required;
  private final int total;
  private final List<Reply<T>> answers = new ArrayList<>();
  private final CompletableFuture<List<Reply<T>>> result = new CompletableFuture<>();
  private int failed;
  private Throwable lastFailure;

  private Quorum(int required, int total) {
    this.required = required;
    this.total = total;
  }

  /** A replica's answer, tagged with who gave it. */
  record Reply<T>(Replica from, T answer) {}

  /** Waits for {@code required} of {@code calls}, the i-th call being to the i-th replica. */
  static <T> CompletableFuture<List<Reply<T>>> await(
      List<Replica> replicas, List<CompletableFuture<T>> calls, int required) {
    if (required < 1 || required > replicas.size() || calls.size() != replicas.size()) {
      throw new IllegalArgumentException("required must be 1.." + replicas.size() + ": "
          + required + " (" + calls.size() + " calls)");
    }
    Quorum<T> quorum = new Quorum<>(required, replicas.size());
    for (int i = 0; i < calls.size(); i++) {
      Replica replica = replicas.get(i);
      calls.get(i).whenComplete((answer, error) -> quorum.record(replica, answer, error));
    }
    return quorum.result;
  }

  /** Calls {@code call} on every replica; a call that throws becomes a failed future. */
  static <T> List<CompletableFuture<T>> callAll(
      List<Replica> replicas, java.util.function.Function<Replica, CompletableFuture<T>> call) {
    List<CompletableFuture<T>> calls = new ArrayList<>(replicas.size());
    for (Replica replica : replicas) {
      try {
        calls.add(call.apply(replica));
      } catch (RuntimeException e) {
        calls.add(CompletableFuture.failedFuture(e));
      }
    }
    return calls;
  }

  private synchronized void record(Replica from, T answer, Throwable error) {
    if (result.isDone()) {
      return;
    }
    if (error == null) {
      answers.add(new Reply<>(from, answer));
      if (answers.size() == required) {
        result.complete(List.copyOf(answers));
        return;
      }
    } else {
      Throwable cause = error instanceof CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause instanceof KvException kv && isInvalidRequest(kv.code())) {
        result.completeExceptionally(kv);
        return;
      }
      failed++;
      lastFailure = cause;
    }
    // the last call to settle may be a success or a failure: either way the counts are final
    if (answers.size() + failed == total) {
      result.completeExceptionally(new QuorumNotMetException(required, answers.size(),
          failed + " replica(s) failed, last: " + lastFailure.getMessage()));
    }
  }

  private static boolean isInvalidRequest(ErrorCode code) {
    return code == ErrorCode.BAD_REQUEST || code == ErrorCode.VALUE_TOO_LARGE;
  }
}
