package kv.node.protocol;

import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.node.version.Version;
import kv.node.version.Versioned;

/** A replica's answer to one {@link ReplicaOp}. */
public sealed interface ReplicaReply {
  /** A read's answer: the replica's record. */
  record Found(Versioned record) implements ReplicaReply {}

  /** A read's answer: the replica holds no record of the key. */
  record Missing() implements ReplicaReply {}

  /** A write's answer: the record is kept (or the replica had this very version already). */
  record Written() implements ReplicaReply {}

  /**
   * A write's answer: the replica holds a newer version of the key, {@code held}, and kept that; a
   * coordinator that wrote after it versions its write above it and writes again.
   */
  record Superseded(Version held) implements ReplicaReply {}

  /** The operation failed on the replica, with the code its error would have over HTTP. */
  record Failed(ErrorCode code, String message) implements ReplicaReply {
    public static Failed of(KvException e) {
      return new Failed(e.code(), e.getMessage());
    }
  }
}
