package kv.node.membership;

import java.util.Locale;

/** How a node learned a member list (a metric tag and a word in the log line). */
public enum ViewSource {
  /** The seed's answer to this node's registration. */
  REGISTER,
  /** The seed's answer to a heartbeat (the polling path, which works when watches do not). */
  HEARTBEAT,
  /** The seed's answer to the blocking query this node keeps open. */
  WATCH,
  /** Read from the seed because a peer said it had a newer version. */
  REFRESH,
  /**
   * Read from a peer ({@code GET /internal/view}) that had a newer version, the seed not answering.
   */
  PEER;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
