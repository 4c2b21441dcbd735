package kv.common.error;

/** A domain failure: bad input, absence, an unreachable peer. Bugs use the JDK's exceptions. */
public class KvException extends RuntimeException {
  private final ErrorCode code;

  public KvException(ErrorCode code, String message) {
    super(message, null, false, false); // expected on hot paths: no stack trace to fill
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
