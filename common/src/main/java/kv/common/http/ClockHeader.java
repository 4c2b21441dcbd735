package kv.common.http;

import java.util.OptionalLong;

/**
 * {@code X-Kv-Time}: the answering side's wall clock (epoch milliseconds) on the seed's answers and
 * on every node-to-node answer, from which the caller measures how far its clock is from the
 * cluster's (NTP-style, with half the round trip as the error).
 */
public final class ClockHeader {
  public static final String NAME = "X-Kv-Time";

  private ClockHeader() {}

  /** The time a header value says; empty when there is none or it is not a number. */
  public static OptionalLong parse(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      return OptionalLong.empty(); // a stamp that says nothing measures nothing
    }
  }
}
