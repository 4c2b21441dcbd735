package kv.seed.membership;

import java.time.Instant;
import kv.common.Endpoint;
import kv.common.NodeCredential;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;

/**
 * A registered node, the credential that proves a request is its own, and when it was last heard
 * from.
 */
record Member(NodeId id, Endpoint address, Instant lastSeen, NodeCredential credential) {
  boolean seenBefore(Instant cutoff) {
    return lastSeen.isBefore(cutoff);
  }

  Member seenAt(Instant now) {
    return new Member(id, address, now, credential);
  }

  MemberInfo info() {
    return new MemberInfo(id, address);
  }
}
