package kv.node.sync;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.protocol.BodyLimits;
import kv.node.protocol.MerkleTree;
import kv.node.protocol.RecordCodec;
import kv.node.protocol.SyncPeerClient;
import kv.node.protocol.SyncRecord;
import kv.node.replica.ReplicaService;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;

/**
 * Brings one token range into agreement between this node and one other replica, moving only what
 * differs: both sides hash the range into a {@link MerkleTree}; for each run of differing leaves
 * this node fetches the peer's records (keeping each one newer than its own) and pushes back the
 * records of its own that the peer lacks or holds older. Versions decide; tombstones travel like
 * values. Fetched records are accepted through {@link ReplicaService} (one too far in the future is
 * not kept; the exchange goes on with the others). Calls block the (background) caller, each
 * bounded by a timeout.
 */
public final class RangeSync {
  /** Runs of differing leaves fetched in one request: bounds a response to a slice of the range. */
  static final int LEAVES_PER_FETCH = 8;

  /** Bytes of keys and values per push request (one larger record goes alone). */
  static final int PUSH_BATCH_BYTES = BodyLimits.PUSH_BYTES;

  private final StorageEngine storage;
  private final ReplicaService replica;
  private final SyncPeerClient peers;
  private final Duration timeout;
  private final int depth;

  public RangeSync(
      StorageEngine storage,
      ReplicaService replica,
      SyncPeerClient peers,
      Duration timeout,
      int depth) {
    this.storage = storage;
    this.replica = replica;
    this.peers = peers;
    this.timeout = timeout;
    this.depth = MerkleTree.checkDepth(depth);
  }

  /** What one exchange did; {@code complete} is false when the budget ran out part way. */
  public record Outcome(boolean complete, int differingRanges, int pulled, int pushed) {}

  /**
   * Compares {@code range} with {@code peer} and exchanges the differing records both ways, while
   * {@code budget} lasts. Throws {@link KvException} when the peer cannot be reached, or, with
   * {@code settledPeerOnly}, when the peer is itself still receiving part of the range (its tree
   * would vouch for data it does not have yet) or its member list is older than {@code minView} (it
   * may still take writes placed on the old list, which this exchange would miss).
   */
  public Outcome exchange(
      TokenRange range,
      Endpoint peer,
      TransferBudget budget,
      boolean settledPeerOnly,
      long minView) {
    MerkleTree mine = MerkleTree.build(storage, range, depth);
    SyncPeerClient.TreeReply reply = await(peers.merkle(peer, range, depth));
    if (settledPeerOnly && reply.pending()) {
      throw new KvException(
          ErrorCode.UNAVAILABLE, "node at " + peer + " is still receiving " + range + " itself");
    }
    if (settledPeerOnly && reply.viewVersion() < minView) {
      throw new KvException(
          ErrorCode.UNAVAILABLE,
          "node at "
              + peer
              + " has member list "
              + reply.viewVersion()
              + ", older than "
              + minView
              + " (it is catching up)");
    }
    MerkleTree theirs = reply.tree();
    List<TokenRange> differing = mine.differences(theirs, LEAVES_PER_FETCH);
    int pulled = 0;
    int pushed = 0;
    for (TokenRange slice : differing) {
      if (!budget.available()) {
        return new Outcome(false, differing.size(), pulled, pushed);
      }
      Map<Key, Version> remoteVersions = new HashMap<>();
      int[] applied = {0};
      fetchAll(
          peer,
          slice,
          r -> {
            remoteVersions.put(r.key(), r.record().version());
            if (replica.acceptFetched(r, "the node at " + peer)) {
              applied[0]++;
            }
          });
      pulled += applied[0];
      List<SyncRecord> missing = new ArrayList<>();
      storage.scan(
          slice,
          (key, record) -> {
            Version theirVersion = remoteVersions.get(key);
            if (theirVersion == null || record.version().isNewerThan(theirVersion)) {
              missing.add(new SyncRecord(key, record));
            }
          });
      push(peer, missing);
      pushed += missing.size();
      budget.spend(remoteVersions.size() + missing.size());
    }
    return new Outcome(true, differing.size(), pulled, pushed);
  }

  /**
   * The keys of this node's records in {@code range} that {@code peer} does not hold at the same or
   * a newer version: the Merkle trees say which slices differ, and only for those are the peer's
   * records fetched and compared. The records found missing are pushed to the peer before this
   * returns, so a later call may confirm them; the peer's own newer records are not taken (this
   * node is letting the range go). Throws {@link KvException} when the peer cannot be reached.
   */
  public Set<Key> unconfirmed(TokenRange range, Endpoint peer, TransferBudget budget) {
    MerkleTree mine = MerkleTree.build(storage, range, depth);
    MerkleTree theirs = await(peers.merkle(peer, range, depth)).tree();
    Set<Key> unconfirmed = new HashSet<>();
    for (TokenRange slice : mine.differences(theirs, LEAVES_PER_FETCH)) {
      Map<Key, Version> held = new HashMap<>();
      fetchAll(peer, slice, r -> held.put(r.key(), r.record().version()));
      List<SyncRecord> missing = new ArrayList<>();
      storage.scan(
          slice,
          (key, record) -> {
            Version theirVersion = held.get(key);
            if (theirVersion == null || record.version().isNewerThan(theirVersion)) {
              missing.add(new SyncRecord(key, record));
              unconfirmed.add(key);
            }
          });
      push(peer, missing);
      budget.spend(held.size() + missing.size());
    }
    return unconfirmed;
  }

  /**
   * The peer's Merkle root of {@code range} (0 when it holds nothing there), and its member-list
   * version when it answered.
   */
  public SyncPeerClient.TreeReply root(Endpoint peer, TokenRange range) {
    return await(peers.merkle(peer, range, 0)); // pending or not: empty is empty
  }

  /**
   * Hands every record {@code peer} holds in {@code range} to {@code visitor}, a page at a time:
   * the peer caps each answer and says where the next starts.
   */
  private void fetchAll(Endpoint peer, TokenRange range, Consumer<SyncRecord> visitor) {
    TokenRange rest = range;
    while (true) {
      SyncPeerClient.RangePage page = await(peers.fetch(peer, rest));
      page.records().forEach(visitor);
      if (page.resumeAfter().isEmpty()) {
        return;
      }
      long after = page.resumeAfter().getAsLong();
      if (after == rest.end() || !rest.contains(after)) { // no progress: a peer that makes no sense
        throw new KvException(
            ErrorCode.UNAVAILABLE,
            "node at "
                + peer
                + " would resume "
                + rest
                + " after "
                + after
                + ", which is not inside it");
      }
      rest = new TokenRange(after, rest.end());
    }
  }

  /** Sends {@code records} to {@code peer} in batches; returns once the peer has them all. */
  public void push(Endpoint peer, List<SyncRecord> records) {
    int from = 0;
    long bytes = 0;
    for (int i = 0; i < records.size(); i++) {
      SyncRecord r = records.get(i);
      bytes += RecordCodec.encodedSize(r);
      if (bytes >= PUSH_BATCH_BYTES || i == records.size() - 1) {
        await(peers.push(peer, records.subList(from, i + 1)));
        from = i + 1;
        bytes = 0;
      }
    }
  }

  private <T> T await(CompletableFuture<T> call) {
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KvException kv
          ? kv
          : new KvException(ErrorCode.UNAVAILABLE, "range transfer failed: " + e.getCause());
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new KvException(ErrorCode.TIMEOUT, "range transfer took longer than " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KvException(ErrorCode.UNAVAILABLE, "interrupted during a range transfer");
    }
  }
}
