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
import java.util.Optional;
import kv.common.Key;
import kv.common.NodeId;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.version.Versioned;

/**
 * Batches of replica operations on the wire ({@code POST /internal/batch}). The request body is a
 * concatenation of operations, the answer one reply per operation, in the same order:
 *
 * <pre>
 *   operation: byte kind (1 read, 2 write, 3 hinted write, 4 placed write), then the key's frame;
 *              a write adds the record's frame; a hinted write adds
 *              byte n = length of the owner's node id, then n bytes of it (ASCII);
 *              a placed write adds long v, the member-list version it was placed on
 *   reply:     byte kind (1 written, 2 found, 3 missing, 4 failed, 5 superseded);
 *              found adds the record's frame; superseded adds a tombstone's frame carrying the
 *              version the replica holds; failed adds
 *              short n, n bytes of the error code's wire name, int m, m bytes of the message (UTF-8)
 * </pre>
 *
 * Key and record frames are {@link RecordCodec}'s. All integers are big-endian; values travel as
 * raw bytes, never as JSON.
 */
public final class BatchCodec {
  private static final int READ = 1;
  private static final int WRITE = 2;
  private static final int HINTED_WRITE = 3;
  private static final int PLACED_WRITE = 4;

  private static final int WRITTEN = 1;
  private static final int FOUND = 2;
  private static final int MISSING = 3;
  private static final int FAILED = 4;
  private static final int SUPERSEDED = 5;

  private BatchCodec() {}

  /**
   * The bytes {@link #encodeOps} writes for {@code op}: how a sender fills a batch to its limit.
   */
  public static int encodedSize(ReplicaOp op) {
    int size = 1 + RecordCodec.keySize(op.key());
    if (op instanceof ReplicaOp.Write w) {
      size += RecordCodec.recordSize(w.record());
      if (w.hintFor().isPresent()) {
        size += 1 + w.hintFor().get().value().length();
      } else if (w.placedOn() != ReplicaOp.Write.UNPLACED) {
        size += Long.BYTES;
      }
    }
    return size;
  }

  public static byte[] encodeOps(List<ReplicaOp> ops) {
    return write(
        out -> {
          for (ReplicaOp op : ops) {
            if (op instanceof ReplicaOp.Write w) {
              out.writeByte(
                  w.hintFor().isPresent()
                      ? HINTED_WRITE
                      : w.placedOn() == ReplicaOp.Write.UNPLACED ? WRITE : PLACED_WRITE);
              RecordCodec.writeKey(out, w.key());
              RecordCodec.writeRecord(out, w.record());
              if (w.hintFor().isPresent()) {
                byte[] owner = w.hintFor().get().value().getBytes(StandardCharsets.US_ASCII);
                out.writeByte(owner.length);
                out.write(owner);
              } else if (w.placedOn() != ReplicaOp.Write.UNPLACED) {
                out.writeLong(w.placedOn());
              }
            } else {
              out.writeByte(READ);
              RecordCodec.writeKey(out, op.key());
            }
          }
        });
  }

  /** Decodes a batch; anything malformed is a {@code 400} for the whole batch. */
  public static List<ReplicaOp> decodeOps(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<ReplicaOp> ops = new ArrayList<>();
    try {
      while (in.hasRemaining()) {
        int kind = in.get();
        Key key = RecordCodec.readKey(in);
        ops.add(
            switch (kind) {
              case READ -> new ReplicaOp.Read(key);
              case WRITE ->
                  new ReplicaOp.Write(
                      key, RecordCodec.readRecord(in), Optional.empty(), ReplicaOp.Write.UNPLACED);
              case HINTED_WRITE ->
                  new ReplicaOp.Write(
                      key,
                      RecordCodec.readRecord(in),
                      Optional.of(
                          NodeId.of(
                              new String(
                                  RecordCodec.take(in, in.get() & 0xff),
                                  StandardCharsets.US_ASCII))),
                      ReplicaOp.Write.UNPLACED);
              case PLACED_WRITE ->
                  new ReplicaOp.Write(
                      key, RecordCodec.readRecord(in), Optional.empty(), placedOn(in.getLong()));
              default -> throw new IllegalArgumentException("unknown operation kind " + kind);
            });
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw malformed(ErrorCode.BAD_REQUEST, "operation batch", in, e);
    }
    return ops;
  }

  public static byte[] encodeReplies(List<ReplicaReply> replies) {
    return write(
        out -> {
          for (ReplicaReply reply : replies) {
            if (reply instanceof ReplicaReply.Found found) {
              out.writeByte(FOUND);
              RecordCodec.writeRecord(out, found.record());
            } else if (reply instanceof ReplicaReply.Superseded superseded) {
              out.writeByte(SUPERSEDED);
              RecordCodec.writeRecord(out, Versioned.tombstone(superseded.held()));
            } else if (reply instanceof ReplicaReply.Failed failed) {
              out.writeByte(FAILED);
              byte[] code = failed.code().wireName().getBytes(StandardCharsets.US_ASCII);
              byte[] message = failed.message().getBytes(StandardCharsets.UTF_8);
              out.writeShort(code.length);
              out.write(code);
              out.writeInt(message.length);
              out.write(message);
            } else {
              out.writeByte(reply instanceof ReplicaReply.Missing ? MISSING : WRITTEN);
            }
          }
        });
  }

  /**
   * Decodes the replies to a batch of {@code expected} operations; replies that do not parse, or
   * not one per operation, are {@code UNAVAILABLE}: the peer did not answer usably.
   */
  public static List<ReplicaReply> decodeReplies(byte[] bytes, int expected) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<ReplicaReply> replies = new ArrayList<>(expected);
    try {
      while (in.hasRemaining()) {
        int kind = in.get();
        replies.add(
            switch (kind) {
              case WRITTEN -> new ReplicaReply.Written();
              case FOUND -> new ReplicaReply.Found(RecordCodec.readRecord(in));
              case MISSING -> new ReplicaReply.Missing();
              case SUPERSEDED -> new ReplicaReply.Superseded(RecordCodec.readRecord(in).version());
              case FAILED ->
                  new ReplicaReply.Failed(
                      ErrorCode.fromWire(
                              new String(
                                  RecordCodec.take(in, in.getShort()), StandardCharsets.US_ASCII))
                          .orElse(ErrorCode.INTERNAL),
                      new String(RecordCodec.take(in, in.getInt()), StandardCharsets.UTF_8));
              default -> throw new IllegalArgumentException("unknown reply kind " + kind);
            });
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw malformed(ErrorCode.UNAVAILABLE, "reply batch", in, e);
    }
    if (replies.size() != expected) {
      throw new KvException(
          ErrorCode.UNAVAILABLE,
          replies.size() + " replies to a batch of " + expected + " operations");
    }
    return replies;
  }

  private static long placedOn(long version) {
    if (version < 1) {
      throw new IllegalArgumentException("a placed write's list version must be >= 1: " + version);
    }
    return version;
  }

  /** A batch a peer sent is its error ({@code 400}); replies a peer sent are a failed call. */
  private static KvException malformed(
      ErrorCode code, String what, ByteBuffer in, RuntimeException e) {
    return new KvException(
        code,
        "malformed "
            + what
            + " at byte "
            + in.position()
            + ": "
            + (e.getMessage() == null ? "truncated" : e.getMessage()));
  }

  private interface Body {
    void writeTo(DataOutputStream out) throws IOException;
  }

  private static byte[] write(Body body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      body.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }
}
