package kv.seed.membership;

import java.time.Instant;
import kv.common.Endpoint;
import kv.common.NodeId;
import kv.common.wire.MemberInfo;

/** A registered node and when the seed last heard from it. */
record Member(NodeId id, Endpoint address, Instant lastSeen) {
  boolean seenBefore(Instant cutoff) {
    return lastSeen.isBefore(cutoff);
  }

  Member seenAt(Instant now) {
    return new Member(id, address, now);
  }

  MemberInfo info() {
    return new MemberInfo(id, address);
  }
}
