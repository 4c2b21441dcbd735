package kv.common.wire;

import kv.common.Endpoint;
import kv.common.NodeId;

/** One live storage node as the seed lists it. */
public record MemberInfo(NodeId id, Endpoint address) {
  public MemberInfo {
    if (id == null || address == null) {
      throw new IllegalArgumentException(
          "member needs an id and an address: " + id + ", " + address);
    }
  }
}
