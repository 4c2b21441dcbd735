package kv.common.wire;

import java.util.List;

/**
 * The seed's member list. {@code version} grows with every change, including across seed restarts;
 * {@code changedAt} is when the seed made this version (epoch milliseconds, the seed's clock), so a
 * node can tell how long the change took to reach it.
 */
public record MembershipView(long version, List<MemberInfo> members, long changedAt) {
  public MembershipView {
    if (members == null) {
      throw new IllegalArgumentException("members must not be null");
    }
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative: " + version);
    }
    members = List.copyOf(members);
  }

  public static MembershipView empty() {
    return new MembershipView(0, List.of(), 0);
  }
}
