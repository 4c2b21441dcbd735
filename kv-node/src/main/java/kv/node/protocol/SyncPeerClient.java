package kv.node.protocol;

import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.node.ring.TokenRange;

/**
 * Range operations on another replica, for rebalancing and anti-entropy. Futures fail with a {@link
 * kv.common.error.KvException} as {@link kv.node.protocol.PeerClient}'s do.
 */
public interface SyncPeerClient {
  /** The peer's Merkle tree of {@code range}, and whether it is still receiving part of it. */
  CompletableFuture<TreeReply> merkle(Endpoint peer, TokenRange range, int depth);

  /**
   * The first page of the records the peer holds in {@code range}; when it is not the last, the
   * caller asks again for the rest of the range, after {@link RangePage#resumeAfter()}.
   */
  CompletableFuture<RangePage> fetch(Endpoint peer, TokenRange range);

  /** Offers records; the peer keeps each one that is newer than what it has. */
  CompletableFuture<Void> push(Endpoint peer, List<SyncRecord> records);

  /**
   * A peer's tree, whether the peer is itself still receiving part of the range, and the version of
   * its member list when it answered (0 when it did not say).
   */
  record TreeReply(MerkleTree tree, boolean pending, long viewVersion) {}

  /** Records in token order; {@code resumeAfter} is the last token held when more follow. */
  record RangePage(List<SyncRecord> records, OptionalLong resumeAfter) {
    public RangePage {
      records = List.copyOf(records);
    }
  }
}
