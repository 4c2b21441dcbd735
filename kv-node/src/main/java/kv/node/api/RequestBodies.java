package kv.node.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/** Reads a request body without ever holding more than the limit plus one byte. */
final class RequestBodies {
  private RequestBodies() {}

  /** A client's value, limited by {@code MAX_VALUE_BYTES}. */
  static byte[] read(Context ctx, int maxBytes) {
    return read(ctx, maxBytes, "value", "MAX_VALUE_BYTES");
  }

  /** A body of {@code what}, whose limit {@code limitName} explains in the error. */
  static byte[] read(Context ctx, int maxBytes, String what, String limitName) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(what, declared + " bytes", maxBytes, limitName);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(maxBytes + 1);
      if (body.length > maxBytes) {
        throw tooLarge(what, "more than " + maxBytes + " bytes", maxBytes, limitName);
      }
      return body;
    } catch (IOException e) {
      throw new KvException(ErrorCode.BAD_REQUEST, "could not read the request body: " + e.getMessage());
    }
  }

  private static KvException tooLarge(String what, String size, int maxBytes, String limitName) {
    return new KvException(ErrorCode.VALUE_TOO_LARGE,
        what + " is " + size + "; the limit is " + maxBytes + " bytes (" + limitName + ")");
  }
}
