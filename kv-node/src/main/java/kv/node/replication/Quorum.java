package kv.node.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Futures;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.error.QuorumNotMetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for {@code required} of a set of replica calls. Completes with the first {@code required}
 * answers as soon as they arrive. When too many fail, it fails once every call has settled, so the
 * error says exactly how many replicas answered (each call is bounded by its own timeout, so this
 * never hangs, and a refused connection settles at once). It fails at once with a replica's own
 * error when that replica rejected the request as invalid (a 4xx every replica would give). Given a
 * {@link Fallback}, a failed call may be replaced by a stand-in's call, whose answer counts in its
 * place (a sloppy quorum); the fallback is asked even after the quorum is decided.
 */
final class Quorum<T> {
  private static final Logger log = LoggerFactory.getLogger(Quorum.class);

  private final int required;
  private final int total;
  private final Fallback<T> fallback; // null: failures count as failures
  private final List<Reply<T>> answers = new ArrayList<>();
  private final CompletableFuture<List<Reply<T>>> result = new CompletableFuture<>();
  private int failed;
  private Throwable lastFailure;

  private Quorum(int required, int total, Fallback<T> fallback) {
    this.required = required;
    this.total = total;
    this.fallback = fallback;
  }

  /** A replica's answer, tagged with who gave it. */
  record Reply<T>(Replica from, T answer) {}

  /** A node standing in for a replica whose call failed, and its call. */
  record StandIn<T>(Replica replica, CompletableFuture<T> call) {}

  /** Finds a stand-in for a failed call; asked once per failed call, never for a stand-in's. */
  interface Fallback<T> {
    Optional<StandIn<T>> standIn(Replica failed, Throwable cause);
  }

  /** Waits for {@code required} of {@code calls}, the i-th call being to the i-th replica. */
  static <T> CompletableFuture<List<Reply<T>>> await(
      List<Replica> replicas, List<CompletableFuture<T>> calls, int required) {
    return await(replicas, calls, required, null);
  }

  /**
   * As {@link #await(List, List, int)}, replacing failed calls with {@code fallback}'s stand-ins.
   */
  static <T> CompletableFuture<List<Reply<T>>> await(
      List<Replica> replicas,
      List<CompletableFuture<T>> calls,
      int required,
      Fallback<T> fallback) {
    if (required < 1 || required > replicas.size() || calls.size() != replicas.size()) {
      throw new IllegalArgumentException(
          "required must be 1.."
              + replicas.size()
              + ": "
              + required
              + " ("
              + calls.size()
              + " calls)");
    }
    Quorum<T> quorum = new Quorum<>(required, replicas.size(), fallback);
    for (int i = 0; i < calls.size(); i++) {
      Replica replica = replicas.get(i);
      calls.get(i).whenComplete((answer, error) -> quorum.settle(replica, answer, error));
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

  /** A call settled: record it, unless a stand-in takes over a failure (outside the lock). */
  private void settle(Replica from, T answer, Throwable error) {
    if (error != null && fallback != null && !isInvalidRequest(Futures.unwrap(error))) {
      Optional<StandIn<T>> standIn = standIn(from, Futures.unwrap(error));
      if (standIn.isPresent()) {
        Replica replica = standIn.get().replica();
        standIn.get().call().whenComplete((a, e) -> record(replica, a, e));
        return;
      }
    }
    record(from, answer, error);
  }

  private Optional<StandIn<T>> standIn(Replica failed, Throwable cause) {
    try {
      return fallback.standIn(failed, cause);
    } catch (RuntimeException e) {
      log.error("Finding a stand-in for {} failed; counting its call as failed", failed.id(), e);
      return Optional.empty();
    }
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
      Throwable cause = Futures.unwrap(error);
      if (isInvalidRequest(cause)) {
        result.completeExceptionally(cause);
        return;
      }
      failed++;
      lastFailure = cause;
    }
    // the last call to settle may be a success or a failure: either way the counts are final
    if (answers.size() + failed == total) {
      result.completeExceptionally(
          new QuorumNotMetException(
              required,
              answers.size(),
              failed + " replica(s) failed, last: " + lastFailure.getMessage()));
    }
  }

  private static boolean isInvalidRequest(Throwable cause) {
    return cause instanceof KvException kv
        && (kv.code() == ErrorCode.BAD_REQUEST || kv.code() == ErrorCode.VALUE_TOO_LARGE);
  }
}
