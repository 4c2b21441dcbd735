package kv.node.protocol;

import java.util.Optional;
import kv.common.Endpoint;

/**
 * This node's side of the view exchange that rides on every node-to-node call: each request and
 * answer carries the sender's member-list version ({@link ReplicaHeaders#VIEW}), each request the
 * address the sender is reached at ({@link ReplicaHeaders#FROM}), and whoever hears of a newer
 * version than its own catches up.
 */
public interface ViewExchange {
  /** The version of this node's current member list. */
  long version();

  /** Where peers reach this node, once it knows (it has registered). */
  Optional<Endpoint> self();

  /** A peer at {@code from} has version {@code version}; returns at once. */
  void heard(long version, Endpoint from);
}
