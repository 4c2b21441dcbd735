package kv.node.replication;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import kv.common.Endpoint;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.protocol.PeerClient;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Another node, reached with one pooled round trip per operation; {@code placedOn} is the version
 * of the member list that made it a replica of the keys it is asked about.
 */
record RemoteReplica(NodeId id, Endpoint endpoint, PeerClient peers, long placedOn)
    implements Replica {
  @Override
  public CompletableFuture<Optional<Versioned>> read(Key key) {
    return peers.read(endpoint, key);
  }

  @Override
  public CompletableFuture<Optional<Version>> write(Key key, Versioned record) {
    return peers.write(endpoint, key, record, placedOn);
  }
}
