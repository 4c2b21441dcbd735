package kv.node.replica;

import java.util.List;
import java.util.Optional;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.handoff.HintWriter;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.ReplicaOp;
import kv.node.protocol.ReplicaReply;
import kv.node.protocol.SyncRecord;
import kv.node.ring.StalePlacement;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.ClockBound;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node as a replica, the counterpart of the coordinator: the one place where records are read
 * for others and records from outside are accepted. Replica routes (batches, {@code /internal/kv}),
 * range routes (Merkle trees, range pages, pushed records), range transfers (fetched records) and
 * this node's own coordinator all come through here, so every record passes the same checks in the
 * same order: its size, its placement ({@link StalePlacement}), the clock bound ({@link
 * ClockBound}), then the hint store or storage, which keeps the newest version.
 */
public final class ReplicaService {
  private static final Logger log = LoggerFactory.getLogger(ReplicaService.class);

  private final StorageEngine storage;
  private final PendingRanges pending;
  private final HintWriter hints;
  private final ClockBound clockBound;
  private final StalePlacement placement;
  private final int maxValueBytes;

  public ReplicaService(
      StorageEngine storage,
      PendingRanges pending,
      HintWriter hints,
      ClockBound clockBound,
      StalePlacement placement,
      int maxValueBytes) {
    this.storage = storage;
    this.pending = pending;
    this.hints = hints;
    this.clockBound = clockBound;
    this.placement = placement;
    this.maxValueBytes = maxValueBytes;
  }

  /**
   * This replica's record of the key, a tombstone included. Fails with {@code UNAVAILABLE} while
   * the key's range is still arriving from its previous replicas, instead of claiming the key is
   * absent (the coordinator then counts the other replicas).
   */
  public Optional<Versioned> read(Key key) {
    if (!pending.isEmpty() && pending.contains(key.token())) {
      throw new KvException(
          ErrorCode.UNAVAILABLE, "this replica is still receiving the range of key " + key.value());
    }
    return storage.get(key);
  }

  /**
   * Accepts a write another node's coordinator sent: as a hint for another replica when it names
   * one, else into storage if newer. Returns the newer version this replica holds and keeps
   * instead, if it does; throws {@link KvException} when the record is refused.
   */
  public Optional<Version> write(ReplicaOp.Write write, String sender) {
    Versioned record = write.record();
    if (record.value().size() > maxValueBytes) {
      throw new KvException(
          ErrorCode.VALUE_TOO_LARGE,
          "value is "
              + record.value().size()
              + " bytes; the limit is "
              + maxValueBytes
              + " bytes (MAX_VALUE_BYTES)");
    }
    placement.check(write.key(), write.placedOn());
    Optional<NodeId> hintFor = write.hintFor();
    clockBound.admit(
        record.version(), hintFor.isPresent() ? ClockBound.Via.HINT : ClockBound.Via.WRITE, sender);
    if (hintFor.isPresent()) {
      hints.store(hintFor.get(), write.key(), record);
      return Optional.empty();
    }
    return keep(write.key(), record);
  }

  /**
   * Accepts a write from this node's own coordinator, which placed it on its own list: only the
   * clock bound applies (a read repair may carry another replica's record here).
   */
  public Optional<Version> writeLocal(Key key, Versioned record) {
    clockBound.admit(record.version(), ClockBound.Via.LOCAL, "this node's coordinator");
    return keep(key, record);
  }

  /** Serves one operation of a batch; a failure is that operation's reply, never thrown. */
  public ReplicaReply serve(ReplicaOp op, String sender) {
    try {
      if (op instanceof ReplicaOp.Write w) {
        return write(w, sender)
            .<ReplicaReply>map(ReplicaReply.Superseded::new)
            .orElseGet(ReplicaReply.Written::new);
      }
      return read(op.key())
          .<ReplicaReply>map(ReplicaReply.Found::new)
          .orElseGet(ReplicaReply.Missing::new);
    } catch (KvException e) {
      return ReplicaReply.Failed.of(e);
    } catch (RuntimeException e) {
      log.error("Replica operation on {} failed", op.key().value(), e);
      return new ReplicaReply.Failed(ErrorCode.INTERNAL, "internal error: " + e);
    }
  }

  /**
   * Keeps each pushed record that is newer than this replica's. Records the clock bound refuses are
   * not kept; the others are, and then this throws a {@code clock_skew} error saying how many were
   * refused, so the sender keeps its copy and tries again.
   */
  public void acceptPushed(List<SyncRecord> records, String sender) {
    int refused = 0;
    KvException last = null;
    for (SyncRecord r : records) {
      try {
        clockBound.admit(r.record().version(), ClockBound.Via.PUSH, sender);
      } catch (KvException e) { // counted and logged by the bound
        refused++;
        last = e;
        continue;
      }
      storage.apply(r.key(), r.record());
    }
    if (last != null) {
      throw new KvException(
          last.code(),
          refused
              + " of "
              + records.size()
              + " record(s) refused, the others kept; the last refused: "
              + last.getMessage());
    }
  }

  /**
   * Keeps a record fetched from another replica by a range transfer if the clock bound admits it
   * and it is newer than this replica's; returns whether it was kept. A refusal is counted and
   * logged by the bound, and the transfer goes on with the other records.
   */
  public boolean acceptFetched(SyncRecord r, String sender) {
    try {
      clockBound.admit(r.record().version(), ClockBound.Via.FETCH, sender);
    } catch (KvException e) {
      return false;
    }
    return storage.apply(r.key(), r.record());
  }

  /** The Merkle tree of this replica's records in {@code range}. */
  public MerkleTree tree(TokenRange range, int depth) {
    return MerkleTree.build(storage, range, depth);
  }

  /** Whether this replica is still receiving part of {@code range} from its previous replicas. */
  public boolean isReceiving(TokenRange range) {
    return pending.overlaps(range);
  }

  /** One page of this replica's records in {@code range}, at most about {@code pageBytes}. */
  public RecordCodec.Page page(TokenRange range, int pageBytes) {
    return RecordCodec.encodePage(storage, range, pageBytes);
  }

  private Optional<Version> keep(Key key, Versioned record) {
    if (storage.apply(key, record)) {
      return Optional.empty();
    }
    return storage // refused: the newer version held, or empty for a replay of this very one
        .get(key)
        .map(Versioned::version)
        .filter(held -> held.isNewerThan(record.version()));
  }
}
