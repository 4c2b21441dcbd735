package kv.node.version;

import java.util.Optional;
import kv.common.Value;

/** What a replica stores for a key: a value or a tombstone, with the version that wrote it. */
public record Versioned(Version version, Value value, boolean isTombstone) {
  private static final Value NONE = Value.copyOf(new byte[0]);

  public Versioned {
    if (version == null || value == null) {
      throw new IllegalArgumentException("version and value are required");
    }
    if (isTombstone && value.size() != 0) {
      throw new IllegalArgumentException("a tombstone carries no value");
    }
  }

  public static Versioned live(Version version, Value value) {
    return new Versioned(version, value, false);
  }

  public static Versioned tombstone(Version version) {
    return new Versioned(version, NONE, true);
  }

  /** The value, or empty for a tombstone. */
  public Optional<Value> liveValue() {
    return isTombstone ? Optional.empty() : Optional.of(value);
  }

  /** The newer of two records (the one with the greater version). */
  public static Versioned newer(Versioned a, Versioned b) {
    return b.version.isNewerThan(a.version) ? b : a;
  }
}
