package kv.node.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * Strict decoding of a raw query string: {@code +} is a space, {@code %XX} a byte, and the bytes
 * must be UTF-8. Anything malformed is a {@code 400} that says what was wrong (Jetty's and the
 * JDK's decoders would either throw an unchecked exception or silently substitute characters, and a
 * key that silently changed would be stored under the wrong name).
 *
 * <p>Raw (unescaped) non-ASCII bytes are read as UTF-8 by Jetty before we see them, and a byte that
 * is not UTF-8 arrives as U+FFFD: {@code key=\xe9} and {@code key=\xff} would both become the same
 * key. So a raw U+FFFD is refused like a bad escape; the character itself is still a valid key when
 * sent percent-encoded ({@code %EF%BF%BD}).
 */
final class QueryString {
  /** What Jetty's UTF-8 decoding of the request line puts in place of a byte that is not UTF-8. */
  private static final char REPLACEMENT = '\uFFFD';

  private QueryString() {}

  /** The first value of {@code name}, decoded; empty when the parameter is absent. */
  static Optional<String> param(String rawQuery, String name) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return Optional.empty();
    }
    int start = 0;
    while (start <= rawQuery.length()) {
      int end = rawQuery.indexOf('&', start);
      if (end < 0) {
        end = rawQuery.length();
      }
      int eq = rawQuery.indexOf('=', start);
      boolean hasValue = eq >= 0 && eq < end;
      String rawName = rawQuery.substring(start, hasValue ? eq : end);
      if (decode(rawName, "parameter name").equals(name)) {
        return Optional.of(hasValue ? decode(rawQuery.substring(eq + 1, end), name) : "");
      }
      start = end + 1;
    }
    return Optional.empty();
  }

  static String decode(String raw, String what) {
    if (raw.indexOf(REPLACEMENT) >= 0) {
      throw new KvException(
          ErrorCode.BAD_REQUEST,
          "malformed "
              + what
              + ": raw bytes in the"
              + " query string that are not UTF-8 (percent-encode non-ASCII bytes, e.g. %C3%A9)");
    }
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '+') {
        bytes.write(' ');
      } else if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw malformed(what, "'%' at offset " + i + " is not followed by two hex digits");
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          throw malformed(what, "'%" + raw.substring(i + 1, i + 3) + "' is not a hex escape");
        }
        bytes.write(high << 4 | low);
        i += 2;
      } else {
        int codePoint = raw.codePointAt(i);
        byte[] utf8 = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
        bytes.write(utf8, 0, utf8.length);
        i += Character.charCount(codePoint) - 1;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed(what, "the percent-decoded bytes are not valid UTF-8");
    }
  }

  private static KvException malformed(String what, String why) {
    return new KvException(
        ErrorCode.BAD_REQUEST, "malformed percent-encoding in " + what + ": " + why);
  }
}
