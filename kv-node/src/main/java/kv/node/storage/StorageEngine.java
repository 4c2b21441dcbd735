package kv.node.storage;

import java.util.Optional;
import kv.common.Key;
import kv.common.Value;

/** Where a node keeps the keys it replicates. Implementations are thread-safe. */
public interface StorageEngine extends AutoCloseable {
  Optional<Value> get(Key key);

  void put(Key key, Value value);

  void delete(Key key);

  long size();

  @Override
  void close();
}
