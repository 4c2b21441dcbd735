package kv.common.error;

/** Fewer replicas answered than the request needed. */
public final class QuorumNotMetException extends KvException {
  private final int required;
  private final int acknowledged;

  public QuorumNotMetException(int required, int acknowledged, String why) {
    super(
        ErrorCode.QUORUM_NOT_MET,
        acknowledged + " of the " + required + " replica(s) needed answered: " + why);
    this.required = required;
    this.acknowledged = acknowledged;
  }

  public int required() {
    return required;
  }

  public int acknowledged() {
    return acknowledged;
  }
}
