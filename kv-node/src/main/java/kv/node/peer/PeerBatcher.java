package kv.node.peer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import kv.common.Futures;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.BatchCodec;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;

/**
 * Coalesces the replica operations this node sends one peer into batches, so that under load one
 * round trip carries many operations instead of one each (Cassandra coalesces its internode
 * messages the same way). At most {@code maxInFlight} batches are on their way to the peer at once;
 * an operation that arrives while they all are waits for the first of them to come back and then
 * leaves with everything else that arrived meanwhile (up to {@code maxOps} operations or about
 * {@code maxBytes}). Nothing ever waits for a batch to fill: under light load a batch holds one
 * operation and costs the round trip it always did.
 *
 * <p>Reads leave before writes: each batch takes every queued read first, so a read is never stuck
 * behind a queue of large writes (200 clients PUTting 1 MiB values made a GET wait for every write
 * queued ahead of it, up to seconds). Writes keep their order among themselves.
 *
 * <p>An operation that has waited in the queue longer than {@code maxWait} (its peer is not
 * answering) fails with {@code TIMEOUT} instead of being sent, so every operation settles within
 * about twice the call timeout however long the peer hangs, and the queue stays bounded.
 */
final class PeerBatcher {
  /** Sends one batch; the replies come back in the order of the operations. */
  interface Sender {
    CompletableFuture<List<ReplicaReply>> send(List<ReplicaOp> ops);
  }

  private final Sender sender;
  private final int maxInFlight;
  private final int maxOps;
  private final int maxBytes;
  private final long maxWaitNanos;
  private final LongSupplier nanoTime;
  private final BatchMetrics metrics;
  private final ArrayDeque<Pending> reads = new ArrayDeque<>(); // guarded by this
  private final ArrayDeque<Pending> writes = new ArrayDeque<>(); // guarded by this
  private int inFlight; // guarded by this

  /** {@code nanoTime} is a monotonic clock, {@code System::nanoTime} outside tests. */
  PeerBatcher(
      Sender sender,
      int maxInFlight,
      int maxOps,
      int maxBytes,
      Duration maxWait,
      LongSupplier nanoTime,
      BatchMetrics metrics) {
    this.sender = sender;
    this.maxInFlight = maxInFlight;
    this.maxOps = maxOps;
    this.maxBytes = maxBytes;
    this.maxWaitNanos = maxWait.toNanos();
    this.nanoTime = nanoTime;
    this.metrics = metrics;
  }

  private record Pending(ReplicaOp op, CompletableFuture<ReplicaReply> reply, long queuedAt) {}

  /** What leaves the queue at once: a batch to send, and operations that waited too long. */
  private record Batch(List<Pending> send, List<Pending> expired) {}

  /** Queues {@code op}; sends a batch now unless {@code maxInFlight} are on their way already. */
  CompletableFuture<ReplicaReply> submit(ReplicaOp op) {
    Pending pending = new Pending(op, new CompletableFuture<>(), nanoTime.getAsLong());
    Batch batch;
    synchronized (this) {
      (op instanceof ReplicaOp.Read ? reads : writes).add(pending);
      if (inFlight == maxInFlight) {
        return pending.reply();
      }
      inFlight++;
      batch = take(pending.queuedAt());
    }
    dispatch(batch);
    return pending.reply();
  }

  /**
   * Sends the batch, and whenever one comes back the next, while anything is queued. When a batch
   * returns, the next one leaves before the returned one's operations are settled (their
   * continuations answer clients on this thread). A call that fails at once (a client shutting
   * down) is settled in this frame and the loop goes on, so nothing recurses.
   */
  private void dispatch(Batch batch) {
    while (true) {
      expire(batch.expired());
      List<Pending> sent = batch.send();
      if (sent.isEmpty()) {
        return; // next() has freed the slot
      }
      CompletableFuture<List<ReplicaReply>> call = send(sent);
      if (!call.isDone()) {
        call.whenComplete(
            (replies, error) -> {
              try {
                dispatch(next());
              } finally {
                settle(sent, replies, error);
              }
            });
        return;
      }
      call.handle(
          (replies, error) -> {
            settle(sent, replies, error);
            return null;
          });
      batch = next();
    }
  }

  private CompletableFuture<List<ReplicaReply>> send(List<Pending> batch) {
    List<ReplicaOp> ops = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      ops.add(p.op());
    }
    metrics.sent(ops.size());
    try {
      return sender.send(ops);
    } catch (Throwable e) { // even an Error: the batch must settle and its slot be freed
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Operations waiting for a batch slot. */
  synchronized int queued() {
    return reads.size() + writes.size();
  }

  /** The next batch, if anything is queued; otherwise this batch slot is free again. */
  private synchronized Batch next() {
    Batch next = take(nanoTime.getAsLong());
    if (next.send().isEmpty()) {
      inFlight--;
    }
    return next;
  }

  private Batch take(long now) { // guarded by this
    Batch batch = new Batch(new ArrayList<>(Math.min(queued(), maxOps)), new ArrayList<>());
    int bytes = fill(batch, reads, 0, now);
    fill(batch, writes, bytes, now);
    return batch;
  }

  /**
   * Moves operations from {@code queue} into {@code batch} while it has room; returns its bytes.
   */
  private int fill(Batch batch, ArrayDeque<Pending> queue, int bytes, long now) { // guarded by this
    List<Pending> send = batch.send();
    while (!queue.isEmpty() && send.size() < maxOps) {
      Pending next = queue.peek();
      if (now - next.queuedAt() > maxWaitNanos) {
        batch.expired().add(queue.poll());
        continue;
      }
      int size = sizeOf(next.op());
      if (!send.isEmpty() && bytes + size > maxBytes) {
        break;
      }
      send.add(queue.poll());
      bytes += size;
    }
    return bytes;
  }

  private static int sizeOf(ReplicaOp op) {
    return BatchCodec.encodedSize(op);
  }

  private static void settle(List<Pending> batch, List<ReplicaReply> replies, Throwable error) {
    Throwable cause = Futures.unwrap(error);
    for (int i = 0; i < batch.size(); i++) {
      if (cause == null) {
        batch.get(i).reply().complete(replies.get(i));
      } else {
        batch.get(i).reply().completeExceptionally(cause);
      }
    }
  }

  private void expire(List<Pending> expired) {
    if (expired.isEmpty()) {
      return;
    }
    metrics.expired(expired.size());
    for (Pending p : expired) {
      p.reply()
          .completeExceptionally(
              new KvException(
                  ErrorCode.TIMEOUT,
                  "waited over "
                      + Duration.ofNanos(maxWaitNanos).toMillis()
                      + " ms for a batch slot to the peer"));
    }
  }
}
