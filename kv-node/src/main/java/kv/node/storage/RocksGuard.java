package kv.node.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.RocksDBException;

/**
 * Keeps calls on a RocksDB handle and its closing apart: calls share a read lock and fail once the
 * store is closed (RocksDB would crash the JVM on a freed handle); closing takes the write lock, so
 * it waits for calls under way, and runs once. RocksDB's checked exception becomes an {@link
 * UncheckedIOException} naming the store.
 */
final class RocksGuard {
  private final String store;
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lifecycle

  /** {@code store} names it in errors, e.g. "RocksDB storage in /data/rocksdb". */
  RocksGuard(String store) {
    this.store = store;
  }

  <T> T whileOpen(RocksCall<T> call) {
    Lock open = lifecycle.readLock();
    open.lock();
    try {
      if (closed) {
        throw new IllegalStateException(store + " is closed");
      }
      return call.run();
    } catch (RocksDBException e) {
      throw failure(store + " failed", e);
    } finally {
      open.unlock();
    }
  }

  /** Runs {@code closer} the first time only, once no call is under way. */
  void close(Runnable closer) {
    lifecycle.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        closer.run();
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  static UncheckedIOException failure(String what, RocksDBException e) {
    return new UncheckedIOException(new IOException(what + ": " + e.getMessage(), e));
  }

  @FunctionalInterface
  interface RocksCall<T> {
    T run() throws RocksDBException;
  }
}
