package kv.node.replication;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.peer.PeerClient;
import kv.node.ring.ClusterView;
import kv.node.ring.ViewHolder;
import kv.node.storage.StorageEngine;

/**
 * Serves a client request on whichever node it entered: finds the key's preference list on the
 * current ring, sends the operation to those replicas (this node's storage directly, others with
 * one pooled round trip each) and answers once enough of them have. Replica operations never
 * come back through here, so a request is forwarded at most once.
 */
public final class Coordinator {
  private final ViewHolder views;
  private final StorageEngine storage;
  private final PeerClient peers;
  private final java.util.function.Supplier<Optional<NodeId>> self;
  private final int replicationFactor;

  public Coordinator(ViewHolder views, StorageEngine storage, PeerClient peers,
      java.util.function.Supplier<Optional<NodeId>> self, int replicationFactor) {
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replicationFactor < 1: " + replicationFactor);
    }
    this.views = views;
    this.storage = storage;
    this.peers = peers;
    this.self = self;
    this.replicationFactor = replicationFactor;
  }

  /** The newest value among the replicas that answered; {@code NOT_FOUND} when absent. */
  public CompletableFuture<ReadResult> get(Key key) {
    List<Replica> owners = preferenceList(key);
    return Quorum.await(owners, replica -> replica.get(key), 1).thenApply(replies -> {
      var reply = replies.get(0);
      Value value = reply.answer().orElseThrow(
          () -> new KvException(ErrorCode.NOT_FOUND, "key not found: " + key.value()));
      return new ReadResult(value, reply.from().id(), ids(owners));
    });
  }

  public CompletableFuture<WriteResult> put(Key key, Value value) {
    List<Replica> owners = preferenceList(key);
    return Quorum.await(owners, replica -> replica.put(key, value), 1)
        .thenApply(replies -> new WriteResult(ids(owners),
            replies.stream().map(r -> r.from().id()).toList()));
  }

  public CompletableFuture<WriteResult> delete(Key key) {
    List<Replica> owners = preferenceList(key);
    return Quorum.await(owners, replica -> replica.delete(key), 1)
        .thenApply(replies -> new WriteResult(ids(owners),
            replies.stream().map(r -> r.from().id()).toList()));
  }

  /** The nodes that own {@code key} on the current ring, in preference order. */
  public List<NodeId> owners(Key key) {
    ClusterView view = requireRing();
    return view.ring().preferenceList(key.token(), replicationFactor);
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  private List<Replica> preferenceList(Key key) {
    ClusterView view = requireRing();
    List<NodeId> owners = view.ring().preferenceList(key.token(), replicationFactor);
    Optional<NodeId> me = self.get();
    return owners.stream().map(id -> replica(view, id, me)).toList();
  }

  private Replica replica(ClusterView view, NodeId id, Optional<NodeId> me) {
    if (me.isPresent() && me.get().equals(id)) {
      return new LocalReplica(id, storage);
    }
    return new RemoteReplica(id, view.endpoint(id).orElseThrow(), peers);
  }

  private ClusterView requireRing() {
    ClusterView view = views.current();
    if (view.ring().isEmpty()) {
      throw new KvException(ErrorCode.UNAVAILABLE,
          "this node has no member list yet (is the seed reachable?); try again shortly");
    }
    return view;
  }

  private static List<NodeId> ids(List<Replica> replicas) {
    return replicas.stream().map(Replica::id).toList();
  }

  /** What a read found, and where. */
  public record ReadResult(Value value, NodeId servedBy, List<NodeId> owners) {}

  /** Which replicas own the key and which acknowledged the write. */
  public record WriteResult(List<NodeId> owners, List<NodeId> acknowledged) {}
}
