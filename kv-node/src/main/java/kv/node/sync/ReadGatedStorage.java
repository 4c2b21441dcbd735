package kv.node.sync;

import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import kv.common.Key;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * The storage replica reads and writes go through: a point read of a key whose range is still
 * arriving from its previous replicas fails with {@code UNAVAILABLE} instead of claiming the key is
 * absent; everything else passes straight to the engine. Range transfers use the engine itself.
 */
public final class ReadGatedStorage implements StorageEngine {
  private final StorageEngine engine;
  private final PendingRanges pending;

  public ReadGatedStorage(StorageEngine engine, PendingRanges pending) {
    this.engine = engine;
    this.pending = pending;
  }

  @Override
  public Optional<Versioned> get(Key key) {
    if (!pending.isEmpty() && pending.contains(key.token())) {
      throw new KvException(
          ErrorCode.UNAVAILABLE, "this replica is still receiving the range of key " + key.value());
    }
    return engine.get(key);
  }

  @Override
  public boolean apply(Key key, Versioned record) {
    return engine.apply(key, record);
  }

  @Override
  public void scan(TokenRange range, BiConsumer<Key, Versioned> visitor) {
    engine.scan(range, visitor);
  }

  @Override
  public void scanWhile(TokenRange range, BiPredicate<Key, Versioned> visitor) {
    engine.scanWhile(range, visitor);
  }

  @Override
  public boolean remove(Key key, Version version) {
    return engine.remove(key, version);
  }

  @Override
  public long size() {
    return engine.size();
  }

  @Override
  public void close() {
    // the engine's owner closes it
  }
}
