package kv.node.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/** Reads a value from a request body without ever holding more than the limit plus one byte. */
final class RequestBodies {
  private RequestBodies() {}

  static byte[] read(Context ctx, int maxBytes) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(declared + " bytes", maxBytes);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(maxBytes + 1);
      if (body.length > maxBytes) {
        throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
      }
      return body;
    } catch (IOException e) {
      throw new KvException(ErrorCode.BAD_REQUEST, "could not read the request body: " + e.getMessage());
    }
  }

  private static KvException tooLarge(String size, int maxBytes) {
    return new KvException(ErrorCode.VALUE_TOO_LARGE,
        "value is " + size + "; the limit is " + maxBytes + " bytes (MAX_VALUE_BYTES)");
  }
}
