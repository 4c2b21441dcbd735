package kv.node.storage;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which engine keeps a node's records ({@code STORAGE}), where ({@code DATA_DIR/rocksdb}) and
 * whether each write is fsynced ({@code ROCKSDB_SYNC}); {@link #open} builds the engine and {@link
 * #openHints} the matching hint store.
 */
public record StorageConfig(Kind kind, Optional<Path> directory, boolean syncWrites) {
  /** The engines, named as {@code STORAGE} spells them in lower case. */
  public enum Kind {
    MEMORY,
    ROCKSDB
  }

  public StorageConfig {
    if (kind == null || directory == null) {
      throw new IllegalArgumentException("kind and directory are required");
    }
    if (kind == Kind.ROCKSDB && directory.isEmpty()) {
      throw new IllegalArgumentException("the RocksDB engine needs a directory");
    }
  }

  public static StorageConfig memory() {
    return new StorageConfig(Kind.MEMORY, Optional.empty(), false);
  }

  public static StorageConfig rocksDb(Path directory, boolean syncWrites) {
    return new StorageConfig(Kind.ROCKSDB, Optional.of(directory), syncWrites);
  }

  public StorageEngine open() {
    return switch (kind) {
      case MEMORY -> new InMemoryStorageEngine();
      case ROCKSDB -> RocksDbStorageEngine.open(directory.orElseThrow(), syncWrites);
    };
  }

  /** The hint store that goes with the engine: in memory, or RocksDB in {@code DATA_DIR/hints}. */
  public HintStore openHints() {
    return switch (kind) {
      case MEMORY -> new InMemoryHintStore();
      case ROCKSDB ->
          RocksDbHintStore.open(directory.orElseThrow().resolveSibling("hints"), syncWrites);
    };
  }
}
