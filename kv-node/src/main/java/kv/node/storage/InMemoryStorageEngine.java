package kv.node.storage;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import kv.common.Key;
import kv.common.Value;

/** A heap map: the default when a node runs without a data directory. Lost on restart. */
public final class InMemoryStorageEngine implements StorageEngine {
  private final ConcurrentMap<Key, Value> entries = new ConcurrentHashMap<>();

  @Override
  public Optional<Value> get(Key key) {
    return Optional.ofNullable(entries.get(key));
  }

  @Override
  public void put(Key key, Value value) {
    entries.put(key, value);
  }

  @Override
  public void delete(Key key) {
    entries.remove(key);
  }

  @Override
  public long size() {
    return entries.size();
  }

  @Override
  public void close() {
    entries.clear();
  }
}
