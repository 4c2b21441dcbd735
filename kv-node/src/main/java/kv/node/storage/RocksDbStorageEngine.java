package kv.node.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import kv.common.Key;
import kv.node.ring.TokenRange;
import kv.node.version.Version;
import kv.node.version.Versioned;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.Filter;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records on disk in RocksDB, one database in the default column family, laid out by {@link
 * RocksDbFormat} so that RocksDB's own order is token order and a {@link TokenRange} is one
 * contiguous run.
 *
 * <p><b>Durability.</b> Every write goes to the write-ahead log before {@link #apply} returns. With
 * {@code syncWrites = false} (the default, {@code ROCKSDB_SYNC=false}) the log is written to the
 * operating system but not fsynced: a write survives the process dying in any way, {@code kill -9}
 * included, because the kernel still holds it, but the writes the kernel has not yet written back
 * (with Linux defaults up to about the last 30 s) can be lost if the machine loses power or the
 * kernel crashes. With {@code syncWrites = true} each write is fsynced before it is acknowledged
 * (concurrent writes share one fsync, RocksDB's group commit), so it survives power loss too, at
 * the price measured in docs/STORAGE.md. A clean {@link #close} syncs the log either way. A
 * replicated write is on W nodes before it is acknowledged, so losing the newest unsynced writes of
 * one node is repaired from the others; losing power to every replica at once is what {@code
 * ROCKSDB_SYNC=true} is for.
 *
 * <p><b>Concurrency.</b> Reads go straight to RocksDB. {@link #apply} and {@link #remove} are
 * read-compare-write sequences, made atomic per key by one of {@value #LOCK_STRIPES} locks chosen
 * by the key's token; writes to different stripes run in parallel. A {@link RocksGuard} makes every
 * call after {@link #close} fail with {@link IllegalStateException} instead of touching freed
 * native memory.
 *
 * <p>{@link #size} is RocksDB's estimate ({@code rocksdb.estimate-num-keys}): exact while the
 * records are in the memtable, approximate once overwrites and deletes sit in several files.
 */
public final class RocksDbStorageEngine implements StorageEngine {
  private static final Logger log = LoggerFactory.getLogger(RocksDbStorageEngine.class);
  private static final int LOCK_STRIPES = 1024; // a power of two
  private static final long BLOCK_CACHE_BYTES = 64L << 20;

  private final Path directory;
  private final RocksGuard guard;
  private final Cache blockCache;
  private final Filter bloomFilter;
  private final Options options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final Lock[] stripes = new Lock[LOCK_STRIPES];

  private RocksDbStorageEngine(Path directory, boolean syncWrites) throws RocksDBException {
    this.directory = directory;
    this.guard = new RocksGuard("RocksDB storage in " + directory);
    this.blockCache = new LRUCache(BLOCK_CACHE_BYTES);
    this.bloomFilter = new BloomFilter(10); // ~1 % false positives: a miss rarely reads a file
    this.options =
        new Options()
            .setCreateIfMissing(true)
            .setKeepLogFileNum(3) // RocksDB's own info LOG files, not the write-ahead log
            .setMaxLogFileSize(16L << 20)
            .setTableFormatConfig(
                new BlockBasedTableConfig().setBlockCache(blockCache).setFilterPolicy(bloomFilter));
    this.writeOptions = new WriteOptions().setSync(syncWrites).setDisableWAL(false);
    try {
      this.db = RocksDB.open(options, directory.toString());
    } catch (RocksDBException | RuntimeException e) {
      writeOptions.close();
      options.close();
      bloomFilter.close();
      blockCache.close();
      throw e;
    }
    for (int i = 0; i < LOCK_STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /**
   * Opens (creating if needed) the database in {@code directory}. Fails if another process has it
   * open: RocksDB holds a lock file there while open, which the kernel releases when a process
   * dies, however it dies.
   */
  public static RocksDbStorageEngine open(Path directory, boolean syncWrites) {
    try {
      loadNativeLibrary(directory.resolveSibling(directory.getFileName() + "-jni"));
      Files.createDirectories(directory);
      RocksDbStorageEngine engine = new RocksDbStorageEngine(directory, syncWrites);
      log.info(
          "RocksDB storage open in {} (sync writes: {}, about {} records)",
          directory,
          syncWrites,
          engine.size());
      return engine;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + directory + ": " + e.getMessage(), e);
    } catch (RocksDBException e) {
      throw RocksGuard.failure("cannot open RocksDB in " + directory, e);
    }
  }

  /**
   * Loads RocksDB's native library, once per JVM. RocksJava would copy it (17 MB) to a new randomly
   * named file in java.io.tmpdir at every start and delete it only at a clean exit, so each {@code
   * kill -9} would leave one behind; a fixed file next to the database is overwritten instead.
   * {@code ROCKSDB_SHAREDLIB_DIR}, when set, still chooses the directory.
   */
  private static void loadNativeLibrary(Path libraryDirectory) throws IOException {
    if (System.getenv("ROCKSDB_SHAREDLIB_DIR") == null) {
      Files.createDirectories(libraryDirectory);
      NativeLibraryLoader.getInstance().loadLibrary(libraryDirectory.toString()); // once per JVM
    }
    RocksDB.loadLibrary();
  }

  @Override
  public Optional<Versioned> get(Key key) {
    return guard.whileOpen(
        () -> Optional.ofNullable(db.get(RocksDbFormat.key(key))).map(RocksDbFormat::record));
  }

  @Override
  public boolean apply(Key key, Versioned record) {
    byte[] stored = RocksDbFormat.key(key);
    return guard.whileOpen(
        () -> {
          Lock stripe = stripe(key);
          stripe.lock();
          try {
            byte[] current = db.get(stored);
            if (current != null && !record.version().isNewerThan(RocksDbFormat.version(current))) {
              return false;
            }
            db.put(writeOptions, stored, RocksDbFormat.record(record));
            return true;
          } finally {
            stripe.unlock();
          }
        });
  }

  @Override
  public boolean remove(Key key, Version version) {
    byte[] stored = RocksDbFormat.key(key);
    return guard.whileOpen(
        () -> {
          Lock stripe = stripe(key);
          stripe.lock();
          try {
            byte[] current = db.get(stored);
            if (current == null || !RocksDbFormat.version(current).equals(version)) {
              return false;
            }
            db.delete(writeOptions, stored);
            return true;
          } finally {
            stripe.unlock();
          }
        });
  }

  /** The same ranges as {@link InMemoryStorageEngine#scan}, each read with one bounded iterator. */
  @Override
  public void scan(TokenRange range, BiConsumer<Key, Versioned> visitor) {
    scanWhile(
        range,
        (key, record) -> {
          visitor.accept(key, record);
          return true;
        });
  }

  @Override
  public void scanWhile(TokenRange range, BiPredicate<Key, Versioned> visitor) {
    guard.whileOpen(
        () -> {
          if (range.start() == range.end()) {
            between(Long.MIN_VALUE, Long.MAX_VALUE, visitor);
          } else if (range.wraps()) {
            boolean more =
                range.start() == Long.MAX_VALUE
                    || between(range.start() + 1, Long.MAX_VALUE, visitor);
            if (more) {
              between(Long.MIN_VALUE, range.end(), visitor);
            }
          } else {
            between(range.start() + 1, range.end(), visitor);
          }
          return null;
        });
  }

  @Override
  public boolean sizeIsExact() {
    return false;
  }

  @Override
  public long size() {
    return guard.whileOpen(() -> db.getLongProperty("rocksdb.estimate-num-keys"));
  }

  /** Writes the memtable to a table file; tests use it to read records back from files. */
  void flush() {
    guard.whileOpen(
        () -> {
          try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
            db.flush(wait);
          }
          return null;
        });
  }

  /**
   * Syncs the write-ahead log and frees every native handle. Later calls fail; a second close does
   * nothing.
   */
  @Override
  public void close() {
    guard.close(
        () -> {
          try {
            db.flushWal(true);
            db.closeE();
          } catch (RocksDBException e) {
            log.warn(
                "RocksDB in {} did not close cleanly; it recovers from its log on next open",
                directory,
                e);
            db.close();
          }
          writeOptions.close();
          options.close();
          bloomFilter.close();
          blockCache.close();
        });
  }

  /** Visits the records with tokens in [from, to], both inclusive, in order. */
  /**
   * Visits the tokens {@code from..to} until {@code visitor} says stop; returns whether it never
   * did.
   */
  private boolean between(long from, long to, BiPredicate<Key, Versioned> visitor)
      throws RocksDBException {
    try (Slice lower = new Slice(RocksDbFormat.tokenPrefix(from));
        Slice upper = to == Long.MAX_VALUE ? null : new Slice(RocksDbFormat.tokenPrefix(to + 1));
        ReadOptions bounds = bounds(lower, upper);
        RocksIterator records = db.newIterator(bounds)) {
      for (records.seekToFirst(); records.isValid(); records.next()) {
        if (!visitor.test(
            RocksDbFormat.key(records.key()), RocksDbFormat.record(records.value()))) {
          return false;
        }
      }
      records.status(); // throws if the iteration stopped on an error rather than at the end
      return true;
    }
  }

  private static ReadOptions bounds(Slice lower, Slice upper) {
    ReadOptions bounds = new ReadOptions().setIterateLowerBound(lower);
    return upper == null ? bounds : bounds.setIterateUpperBound(upper);
  }

  private Lock stripe(Key key) {
    return stripes[(int) key.token() & (LOCK_STRIPES - 1)];
  }
}
