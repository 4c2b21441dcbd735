package kv.common.wire;

import java.util.List;

/** The seed's member list; {@code version} grows with every change, including across restarts. */
public record MembershipView(long version, List<MemberInfo> members) {
  public MembershipView {
    if (members == null) {
      throw new IllegalArgumentException("members must not be null");
    }
    members = List.copyOf(members);
  }

  public static MembershipView empty() {
    return new MembershipView(0, List.of());
  }
}
