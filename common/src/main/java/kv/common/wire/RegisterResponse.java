package kv.common.wire;

import kv.common.Endpoint;
import kv.common.NodeCredential;
import kv.common.NodeId;

/**
 * The seed's answer to a registration: the node's id, the address it recorded, the list, and the
 * credential the node must present from now on (heartbeats, deregistration, registering again).
 */
public record RegisterResponse(
    NodeId nodeId, Endpoint address, MembershipView view, NodeCredential credential) {}
