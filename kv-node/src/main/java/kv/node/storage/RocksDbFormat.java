package kv.node.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * How {@link RocksDbStorageEngine} lays keys and records out as bytes.
 *
 * <p><b>Key</b>: the key's token as 8 big-endian bytes with the sign bit flipped, then the key's
 * UTF-8 bytes. Flipping the sign bit maps signed order onto unsigned order, so RocksDB's bytewise
 * comparator sorts keys by token exactly as {@link Key#compareTo} does, and a token range is one
 * contiguous run of the database. Keys with the same token (a 64-bit hash collision) follow in
 * UTF-8 byte order, which can differ from {@code String} order for characters outside the BMP;
 * nothing depends on the order within one token.
 *
 * <p><b>Record</b>, format 1:
 *
 * <pre>
 *   byte 0        format (1)
 *   byte 1        flags: bit 0 = tombstone; the other bits are 0
 *   bytes 2-9     version timestamp, big-endian
 *   byte 10       n = length of the coordinator's node id in bytes (1-64, ASCII)
 *   bytes 11..    the coordinator's node id, then the value's raw bytes (none for a tombstone)
 * </pre>
 */
final class RocksDbFormat {
  static final byte FORMAT_1 = 1;
  private static final int TOMBSTONE = 1;
  private static final int HEADER = 11; // format, flags, timestamp, id length

  private RocksDbFormat() {}

  static byte[] key(Key key) {
    byte[] utf8 = key.utf8();
    return ByteBuffer.allocate(Long.BYTES + utf8.length)
        .putLong(key.token() ^ Long.MIN_VALUE)
        .put(utf8)
        .array();
  }

  /** The 8-byte prefix every key with this token starts with: a seek or iteration bound. */
  static byte[] tokenPrefix(long token) {
    return ByteBuffer.allocate(Long.BYTES).putLong(token ^ Long.MIN_VALUE).array();
  }

  static Key key(byte[] stored) {
    if (stored.length <= Long.BYTES) {
      throw new IllegalStateException("stored key too short: " + stored.length + " bytes");
    }
    return Key.fromStorage(Arrays.copyOfRange(stored, Long.BYTES, stored.length));
  }

  static byte[] record(Versioned record) {
    byte[] coordinator = record.version().coordinator().value().getBytes(StandardCharsets.US_ASCII);
    byte[] value = record.value().toBytes();
    return ByteBuffer.allocate(HEADER + coordinator.length + value.length)
        .put(FORMAT_1)
        .put((byte) (record.isTombstone() ? TOMBSTONE : 0))
        .putLong(record.version().timestamp())
        .put((byte) coordinator.length)
        .put(coordinator)
        .put(value)
        .array();
  }

  static Versioned record(byte[] stored) {
    ByteBuffer in = header(stored);
    boolean tombstone = (stored[1] & TOMBSTONE) != 0;
    Version version = version(in, stored);
    Value value = Value.copyOf(Arrays.copyOfRange(stored, in.position(), stored.length));
    return tombstone ? Versioned.tombstone(version) : Versioned.live(version, value);
  }

  /** Only the version: what apply() compares, without copying the value. */
  static Version version(byte[] stored) {
    return version(header(stored), stored);
  }

  private static ByteBuffer header(byte[] stored) {
    if (stored.length < HEADER + 1) {
      throw new IllegalStateException("stored record too short: " + stored.length + " bytes");
    }
    if (stored[0] != FORMAT_1) {
      throw new IllegalStateException("unknown stored record format: " + stored[0]);
    }
    if ((stored[1] & ~TOMBSTONE) != 0) {
      throw new IllegalStateException("unknown stored record flags: " + stored[1]);
    }
    return ByteBuffer.wrap(stored, 2, stored.length - 2);
  }

  /** Reads the timestamp and coordinator id at the buffer's position and moves past them. */
  private static Version version(ByteBuffer in, byte[] stored) {
    long timestamp = in.getLong();
    int idLength = in.get() & 0xff;
    if (idLength == 0 || idLength > in.remaining()) {
      throw new IllegalStateException("bad coordinator id length in stored record: " + idLength);
    }
    String id = new String(stored, in.position(), idLength, StandardCharsets.US_ASCII);
    in.position(in.position() + idLength);
    return new Version(timestamp, NodeId.of(id));
  }
}
