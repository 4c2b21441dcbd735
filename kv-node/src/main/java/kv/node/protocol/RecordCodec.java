package kv.node.protocol;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.ring.TokenRange;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Records on the wire for range transfers ({@code /internal/range}, {@code /internal/records}): a
 * plain concatenation of frames, each
 *
 * <pre>
 *   int    key length n, then n bytes of the key's UTF-8
 *   long   version timestamp
 *   byte   m = length of the coordinator's node id, then m bytes of it (ASCII)
 *   byte   1 for a tombstone, 0 for a value
 *   int    value length v, then v bytes of the value (0 for a tombstone)
 * </pre>
 *
 * All integers are big-endian. Values travel as raw bytes, never as JSON.
 */
public final class RecordCodec {
  private RecordCodec() {}

  /** The bytes {@link #encode} writes for {@code r}. */
  public static int encodedSize(SyncRecord r) {
    return keySize(r.key()) + recordSize(r.record());
  }

  /** The bytes {@link #writeKey} writes. */
  static int keySize(Key key) {
    return Integer.BYTES + key.utf8Length();
  }

  /** The bytes {@link #writeRecord} writes (node ids are ASCII: one byte a character). */
  static int recordSize(Versioned record) {
    return Long.BYTES
        + 1
        + record.version().coordinator().value().length()
        + 1
        + Integer.BYTES
        + record.value().size();
  }

  public static byte[] encode(List<SyncRecord> records) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      for (SyncRecord r : records) {
        writeKey(out, r.key());
        writeRecord(out, r.record());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /** One encoded page of a range; {@code resumeAfter} is its last token when more follow. */
  public record Page(byte[] bytes, OptionalLong resumeAfter) {}

  /**
   * The records of {@code range} in token order, encoded, up to {@code maxBytes} and then the rest
   * of the last token's keys (so a page never splits a token and the next starts after it): the
   * memory one answer takes is bounded by the page, not by the range.
   */
  public static Page encodePage(StorageEngine storage, TokenRange range, int maxBytes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    long[] last = {0};
    boolean[] cut = {false};
    storage.scanWhile(
        range,
        (key, record) -> {
          if (bytes.size() >= maxBytes && key.token() != last[0]) {
            cut[0] = true;
            return false;
          }
          try {
            writeKey(out, key);
            writeRecord(out, record);
          } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
          }
          last[0] = key.token();
          return true;
        });
    return new Page(bytes.toByteArray(), cut[0] ? OptionalLong.of(last[0]) : OptionalLong.empty());
  }

  /** Writes the key's frame: its length and UTF-8 bytes. */
  public static void writeKey(DataOutputStream out, Key key) throws IOException {
    byte[] utf8 = key.utf8();
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  /** Writes a record's frame after its key: version, tombstone flag and value. */
  public static void writeRecord(DataOutputStream out, Versioned record) throws IOException {
    byte[] coordinator = record.version().coordinator().value().getBytes(StandardCharsets.US_ASCII);
    byte[] value = record.value().toBytes();
    out.writeLong(record.version().timestamp());
    out.writeByte(coordinator.length);
    out.write(coordinator);
    out.writeByte(record.isTombstone() ? 1 : 0);
    out.writeInt(value.length);
    out.write(value);
  }

  /**
   * Decodes frames; anything malformed is a {@code 400} (a peer sent junk) and nothing of it
   * applies.
   */
  public static List<SyncRecord> decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<SyncRecord> records = new ArrayList<>();
    try {
      while (in.hasRemaining()) {
        Key key = readKey(in);
        records.add(new SyncRecord(key, readRecord(in)));
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "malformed record batch at byte "
              + in.position()
              + ": "
              + (e.getMessage() == null ? "truncated" : e.getMessage()));
    }
    return records;
  }

  /**
   * Reads a key's frame. On malformed input throws {@link IllegalArgumentException} (a bad length)
   * or {@link BufferUnderflowException} (truncated), for the caller to report, or the {@code 400}
   * {@link KvException} of {@link Key#of} (an empty or oversized key).
   */
  public static Key readKey(ByteBuffer in) {
    return Key.of(new String(take(in, in.getInt()), StandardCharsets.UTF_8));
  }

  /** Reads a record's frame, failing as {@link #readKey} does. */
  public static Versioned readRecord(ByteBuffer in) {
    long timestamp = in.getLong();
    NodeId coordinator =
        NodeId.of(new String(take(in, in.get() & 0xff), StandardCharsets.US_ASCII));
    byte flag = in.get();
    if (flag != 0 && flag != 1) {
      throw new IllegalArgumentException("tombstone flag must be 0 or 1, got " + flag);
    }
    Value value = Value.copyOf(take(in, in.getInt()));
    Version version = new Version(timestamp, coordinator);
    if (flag == 0) {
      return Versioned.live(version, value);
    }
    if (value.size() != 0) {
      throw new IllegalArgumentException("a tombstone carries no value");
    }
    return Versioned.tombstone(version);
  }

  /** {@code length} bytes from {@code in}, after checking that it has them. */
  public static byte[] take(ByteBuffer in, int length) {
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException(
          "length " + length + " exceeds the " + in.remaining() + " bytes left");
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }
}
