package kv.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/** The one Jackson configuration every service uses for its wire messages. */
public final class Json {
  private Json() {}

  public static ObjectMapper newMapper() {
    return new ObjectMapper()
        .setSerializationInclusion(JsonInclude.Include.NON_NULL)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
        .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
  }

  /** Reads a request body as {@code type}; anything else is a {@code 400} naming the problem. */
  public static <T> T readBody(ObjectMapper mapper, byte[] body, Class<T> type) {
    String what = type.getSimpleName();
    if (body == null || body.length == 0) {
      throw new KvException(
          ErrorCode.BAD_REQUEST, "request body is empty; expected a JSON " + what);
    }
    try {
      T value = mapper.readValue(body, type);
      if (value == null) {
        throw new KvException(
            ErrorCode.BAD_REQUEST, "request body is null; expected a JSON " + what);
      }
      return value;
    } catch (JsonProcessingException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST, "request body is not a valid " + what + ": " + rootMessage(e));
    } catch (IOException e) {
      throw new KvException(
          ErrorCode.BAD_REQUEST, "could not read request body: " + e.getMessage());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message =
        root instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }
}
