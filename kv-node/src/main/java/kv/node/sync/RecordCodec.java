package kv.node.sync;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.Value;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.version.Version;
import kv.node.version.Versioned;

/**
 * Records on the wire for range transfers ({@code /internal/range}, {@code /internal/records}):
 * a plain concatenation of frames, each
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
    return Integer.BYTES + r.key().utf8().length + Long.BYTES + 1
        + r.record().version().coordinator().value().length() + 1 + Integer.BYTES
        + r.record().value().size();
  }

  public static byte[] encode(List<SyncRecord> records) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      for (SyncRecord r : records) {
        byte[] key = r.key().utf8();
        byte[] coordinator =
            r.record().version().coordinator().value().getBytes(StandardCharsets.US_ASCII);
        byte[] value = r.record().value().toBytes();
        out.writeInt(key.length);
        out.write(key);
        out.writeLong(r.record().version().timestamp());
        out.writeByte(coordinator.length);
        out.write(coordinator);
        out.writeByte(r.record().isTombstone() ? 1 : 0);
        out.writeInt(value.length);
        out.write(value);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /** Decodes frames; anything malformed is a {@code 400} (a peer sent junk) and nothing of it applies. */
  public static List<SyncRecord> decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<SyncRecord> records = new ArrayList<>();
    try {
      while (in.hasRemaining()) {
        Key key = Key.of(new String(take(in, in.getInt()), StandardCharsets.UTF_8));
        long timestamp = in.getLong();
        NodeId coordinator =
            NodeId.of(new String(take(in, in.get() & 0xff), StandardCharsets.US_ASCII));
        byte flag = in.get();
        if (flag != 0 && flag != 1) {
          throw new IllegalArgumentException("tombstone flag must be 0 or 1, got " + flag);
        }
        Value value = Value.copyOf(take(in, in.getInt()));
        Version version = new Version(timestamp, coordinator);
        records.add(new SyncRecord(
            key, flag == 1 ? tombstone(version, value) : Versioned.live(version, value)));
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new KvException(ErrorCode.BAD_REQUEST, "malformed record batch at byte "
          + in.position() + ": " + (e.getMessage() == null ? "truncated" : e.getMessage()));
    }
    return records;
  }

  private static Versioned tombstone(Version version, Value value) {
    if (value.size() != 0) {
      throw new IllegalArgumentException("a tombstone carries no value");
    }
    return Versioned.tombstone(version);
  }

  private static byte[] take(ByteBuffer in, int length) {
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("length " + length + " exceeds the " + in.remaining()
          + " bytes left");
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }
}
