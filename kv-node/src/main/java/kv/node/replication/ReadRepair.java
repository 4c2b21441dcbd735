package kv.node.replication;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After every replica of a read has answered (or failed), sends the newest record to the replicas
 * that answered with an older one or none. Runs off the client's path: the read has already been
 * answered from the first R replies.
 */
final class ReadRepair {
  private static final Logger log = LoggerFactory.getLogger(ReadRepair.class);

  private final ReplicationMetrics metrics;

  ReadRepair(ReplicationMetrics metrics) {
    this.metrics = metrics;
  }

  void afterAllAnswer(
      Key key, List<Replica> replicas, List<CompletableFuture<Optional<Versioned>>> reads) {
    if (replicas.size() < 2) {
      return; // a single replica has no one to disagree with
    }
    CompletableFuture.allOf(
            reads.stream()
                .map(read -> read.handle((r, e) -> null))
                .toArray(CompletableFuture[]::new))
        .thenRun(() -> repair(key, replicas, reads));
  }

  private void repair(
      Key key, List<Replica> replicas, List<CompletableFuture<Optional<Versioned>>> reads) {
    Optional<Versioned> newest =
        reads.stream()
            .filter(read -> !read.isCompletedExceptionally())
            .map(CompletableFuture::join)
            .flatMap(Optional::stream)
            .reduce(Versioned::newer);
    if (newest.isEmpty()) {
      return;
    }
    for (int i = 0; i < reads.size(); i++) {
      CompletableFuture<Optional<Versioned>> read = reads.get(i);
      if (read.isCompletedExceptionally() || isCurrent(read.join(), newest.get())) {
        continue;
      }
      Replica stale = replicas.get(i);
      metrics.readRepair();
      log.debug("Read repair of {} on {} to {}", key, stale.id(), newest.get().version());
      stale
          .write(key, newest.get())
          .exceptionally(
              e -> {
                log.debug("Read repair of {} on {} failed: {}", key, stale.id(), e.getMessage());
                return null;
              });
    }
  }

  private static boolean isCurrent(Optional<Versioned> found, Versioned newest) {
    return found.isPresent() && !newest.version().isNewerThan(found.get().version());
  }
}
