package kv.common.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * Reads a request body without ever holding more than the limit plus one byte, for the seed and the
 * nodes alike. A body over the limit (declared or sent) is a {@code 413}; a body that cannot be
 * read (it ends before its {@code Content-Length}, or its chunks are broken) is a {@code 400}.
 */
public final class RequestBodies {
  private RequestBodies() {}

  /** A body of {@code what}, whose limit {@code limitName} explains in the error. */
  public static byte[] read(Context ctx, int maxBytes, String what, String limitName) {
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
      throw new KvException(
          ErrorCode.BAD_REQUEST, "could not read the request body: " + e.getMessage());
    }
  }

  private static KvException tooLarge(String what, String size, int maxBytes, String limitName) {
    return new KvException(
        ErrorCode.VALUE_TOO_LARGE,
        what + " is " + size + "; the limit is " + maxBytes + " bytes (" + limitName + ")");
  }
}
