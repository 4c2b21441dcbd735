package kv.common.wire;

import kv.common.Endpoint;
import kv.common.NodeId;

/** The seed's answer to a registration: the node's id, the address it recorded, and the list. */
public record RegisterResponse(NodeId nodeId, Endpoint address, MembershipView view) {}
