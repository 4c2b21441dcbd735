package kv.node.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.version.Versioned;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hints on disk in their own RocksDB database ({@code DATA_DIR/hints}, beside the records' {@code
 * DATA_DIR/rocksdb}), written to the write-ahead log before {@link #add} returns, with the same
 * durability as {@link RocksDbStorageEngine} ({@code ROCKSDB_SYNC}).
 *
 * <p><b>Key</b>: {@code n} (1 byte), the target's node id ({@code n} ASCII bytes), the creation
 * time in milliseconds (8 bytes big-endian, sign bit flipped) and the sequence number (8 bytes
 * big-endian), so that a target's hints are one contiguous run, oldest first. <b>Value</b>: the
 * key's UTF-8 length (2 bytes), its UTF-8 bytes, then the record as {@link RocksDbFormat} writes
 * it. Sequence numbers continue after the largest found at open, so they never repeat.
 */
public final class RocksDbHintStore implements HintStore {
  private static final Logger log = LoggerFactory.getLogger(RocksDbHintStore.class);
  private static final int SUFFIX = 2 * Long.BYTES; // creation time, sequence

  private final Path directory;
  private final RocksGuard guard;
  private final Options options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final AtomicLong nextSequence = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private final Object removals = new Object(); // makes remove's check-then-delete atomic

  private RocksDbHintStore(Path directory, boolean syncWrites) throws RocksDBException {
    this.directory = directory;
    this.guard = new RocksGuard("RocksDB hints in " + directory);
    this.options =
        new Options()
            .setCreateIfMissing(true)
            .setKeepLogFileNum(3)
            .setMaxLogFileSize(16L << 20)
            // Hints are few and small: a 4 MiB memtable (RocksDB preallocates a write-ahead log
            // file of about its size) instead of 64 MiB keeps an idle node's disk use small.
            .setWriteBufferSize(4L << 20);
    this.writeOptions = new WriteOptions().setSync(syncWrites);
    RocksDB opened = null;
    try {
      opened = RocksDB.open(options, directory.toString());
      countExisting(opened);
    } catch (RocksDBException | RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      writeOptions.close();
      options.close();
      throw e;
    }
    this.db = opened;
  }

  /** Opens (creating if needed) the hints in {@code directory}. */
  public static RocksDbHintStore open(Path directory, boolean syncWrites) {
    try {
      RocksDB.loadLibrary(); // already loaded (into DATA_DIR) by the storage engine opened first
      Files.createDirectories(directory);
      RocksDbHintStore store = new RocksDbHintStore(directory, syncWrites);
      log.info("RocksDB hints open in {} ({} pending)", directory, store.pending());
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + directory + ": " + e.getMessage(), e);
    } catch (RocksDBException e) {
      throw RocksGuard.failure("cannot open RocksDB hints in " + directory, e);
    }
  }

  @Override
  public Hint add(NodeId target, Key key, Versioned record, long createdAtMillis) {
    Hint hint = new Hint(target, key, record, createdAtMillis, nextSequence.getAndIncrement());
    byte[] value = value(hint);
    pending.incrementAndGet(); // before the put: a delivery may remove the hint right after it
    try {
      guard.whileOpen(
          () -> {
            db.put(writeOptions, key(hint), value);
            return null;
          });
    } catch (RuntimeException e) {
      pending.decrementAndGet();
      throw e;
    }
    return hint;
  }

  @Override
  public List<Hint> batch(NodeId target, int max) {
    byte[] prefix = prefix(target);
    return guard.whileOpen(
        () -> {
          List<Hint> batch = new ArrayList<>();
          try (RocksIterator it = db.newIterator()) {
            for (it.seek(prefix);
                it.isValid() && batch.size() < max && startsWith(it.key(), prefix);
                it.next()) {
              batch.add(hint(target, it.key(), it.value()));
            }
            it.status();
          }
          return batch;
        });
  }

  @Override
  public Set<NodeId> targets() {
    return guard.whileOpen(
        () -> {
          Set<NodeId> targets = new LinkedHashSet<>();
          try (RocksIterator it = db.newIterator()) {
            it.seekToFirst();
            while (it.isValid()) {
              NodeId target = target(it.key());
              targets.add(target);
              it.seek(afterAll(prefix(target))); // skip the rest of this target's run
            }
            it.status();
          }
          return targets;
        });
  }

  @Override
  public boolean remove(Hint hint) {
    byte[] stored = key(hint);
    return guard.whileOpen(
        () -> {
          synchronized (removals) {
            if (db.get(stored) == null) {
              return false;
            }
            db.delete(writeOptions, stored);
            pending.decrementAndGet();
            return true;
          }
        });
  }

  @Override
  public int expireCreatedBefore(long cutoffMillis) {
    Set<NodeId> targets = targets();
    return guard.whileOpen(
        () -> {
          synchronized (removals) {
            int expired = 0;
            try (WriteBatch batch = new WriteBatch();
                RocksIterator it = db.newIterator()) {
              for (NodeId target : targets) {
                byte[] prefix = prefix(target);
                for (it.seek(prefix);
                    it.isValid()
                        && startsWith(it.key(), prefix)
                        && createdAt(it.key()) < cutoffMillis;
                    it.next()) {
                  batch.delete(it.key());
                  expired++;
                }
              }
              it.status();
              db.write(writeOptions, batch);
            }
            pending.addAndGet(-expired);
            return expired;
          }
        });
  }

  @Override
  public long pending() {
    return pending.get();
  }

  @Override
  public void close() {
    guard.close(
        () -> {
          try {
            db.flushWal(true);
            db.closeE();
          } catch (RocksDBException e) {
            log.warn(
                "RocksDB hints in {} did not close cleanly; they recover from the log",
                directory,
                e);
            db.close();
          }
          writeOptions.close();
          options.close();
        });
  }

  private void countExisting(RocksDB opened) throws RocksDBException {
    long count = 0;
    long maxSequence = -1;
    try (RocksIterator it = opened.newIterator()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        count++;
        maxSequence = Math.max(maxSequence, sequence(it.key()));
      }
      it.status();
    }
    pending.set(count);
    nextSequence.set(maxSequence + 1);
  }

  private static byte[] key(Hint hint) {
    byte[] prefix = prefix(hint.target());
    return ByteBuffer.allocate(prefix.length + SUFFIX)
        .put(prefix)
        .putLong(hint.createdAtMillis() ^ Long.MIN_VALUE)
        .putLong(hint.sequence())
        .array();
  }

  private static byte[] prefix(NodeId target) {
    byte[] id = target.value().getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(1 + id.length).put((byte) id.length).put(id).array();
  }

  /** A seek key after every key that starts with {@code prefix} (each is 16 bytes longer). */
  private static byte[] afterAll(byte[] prefix) {
    byte[] after = Arrays.copyOf(prefix, prefix.length + SUFFIX + 1);
    Arrays.fill(after, prefix.length, prefix.length + SUFFIX, (byte) 0xff);
    return after;
  }

  private static NodeId target(byte[] key) {
    int length = key[0] & 0xff;
    if (key.length != 1 + length + SUFFIX) {
      throw new IllegalStateException("stored hint key has a bad length: " + key.length);
    }
    return NodeId.of(new String(key, 1, length, StandardCharsets.US_ASCII));
  }

  private static long createdAt(byte[] key) {
    return ByteBuffer.wrap(key, key.length - SUFFIX, Long.BYTES).getLong() ^ Long.MIN_VALUE;
  }

  private static long sequence(byte[] key) {
    return ByteBuffer.wrap(key, key.length - Long.BYTES, Long.BYTES).getLong();
  }

  private static byte[] value(Hint hint) {
    byte[] utf8 = hint.key().utf8();
    byte[] record = RocksDbFormat.record(hint.record());
    return ByteBuffer.allocate(Short.BYTES + utf8.length + record.length)
        .putShort((short) utf8.length)
        .put(utf8)
        .put(record)
        .array();
  }

  private static Hint hint(NodeId target, byte[] key, byte[] value) {
    int keyLength = ByteBuffer.wrap(value, 0, Short.BYTES).getShort() & 0xffff;
    Key hinted = Key.fromStorage(Arrays.copyOfRange(value, Short.BYTES, Short.BYTES + keyLength));
    Versioned record =
        RocksDbFormat.record(Arrays.copyOfRange(value, Short.BYTES + keyLength, value.length));
    return new Hint(target, hinted, record, createdAt(key), sequence(key));
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
