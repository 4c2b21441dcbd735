package kv.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A {@code host:port} where a service listens. The host is a DNS name (labels of letters, digits,
 * '-' and '_', at most 253 characters), an IPv4 address or an IPv6 address (written in brackets in
 * {@code host:port} text); the port is 1-65535. Nothing else gets in: an address travels to every
 * node's ring, log lines and URLs, so a CR/LF, a NUL, a {@code user@} or a space in it would be an
 * injection, not an address.
 */
public record Endpoint(String host, int port) {
  private static final int MAX_HOST_LENGTH = 253;
  private static final int MAX_LABEL_LENGTH = 63;
  private static final int MAX_IPV6_LENGTH = 45;
  private static final int MAX_ZONE_LENGTH = 64;
  private static final int SHOWN_CHARS = 80;

  public Endpoint {
    if (host != null
        && host.length() > 2
        && host.startsWith("[")
        && host.endsWith("]")
        && host.indexOf(':') > 0) { // brackets are for IPv6 only
      host = host.substring(1, host.length() - 1);
    }
    if (!isHostName(host) && !isIpv6(host)) {
      throw new IllegalArgumentException(
          "host must be a DNS name (at most "
              + MAX_HOST_LENGTH
              + " characters of letters, digits, '.', '-', '_'), an IPv4 or an IPv6 address: "
              + printable(host));
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1-65535: " + port);
    }
  }

  /** Parses {@code host:port} or {@code [v6]:port}. */
  @JsonCreator
  public static Endpoint parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("address must be host:port, got null");
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("address must be host:port: " + printable(text));
    }
    String host = text.substring(0, colon);
    if (host.indexOf(':') >= 0 && !(host.startsWith("[") && host.endsWith("]"))) {
      throw new IllegalArgumentException(
          "an IPv6 address must be written in brackets, [v6]:port: " + printable(text));
    }
    return new Endpoint(host, port(text.substring(colon + 1), text));
  }

  /** The base URL, {@code http://host:port}. */
  public String httpUrl() {
    return "http://" + this;
  }

  @JsonValue
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** At most 5 ASCII digits: no sign, no spaces, nothing {@link Integer#parseInt} would forgive. */
  private static int port(String digits, String text) {
    if (digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "address must be host:port with a port of 1-65535: " + printable(text));
    }
    return Integer.parseInt(digits);
  }

  /** RFC 1123 labels, plus '_' (Compose v1 container names use it); IPv4 literals match too. */
  private static boolean isHostName(String host) {
    if (host == null || host.isEmpty() || host.length() > MAX_HOST_LENGTH) {
      return false;
    }
    int labelStart = 0;
    for (int i = 0; i <= host.length(); i++) {
      if (i == host.length() || host.charAt(i) == '.') {
        if (!isLabel(host, labelStart, i)) {
          return false;
        }
        labelStart = i + 1;
      }
    }
    return true;
  }

  private static boolean isLabel(String host, int start, int end) {
    if (end == start
        || end - start > MAX_LABEL_LENGTH
        || host.charAt(start) == '-'
        || host.charAt(end - 1) == '-') {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = host.charAt(i);
      if (!isAsciiLetterOrDigit(c) && c != '-' && c != '_') {
        return false;
      }
    }
    return true;
  }

  /** Hex digits, ':' and '.' (an embedded IPv4), at least two colons; a zone id may follow '%'. */
  private static boolean isIpv6(String host) {
    if (host == null) {
      return false;
    }
    int percent = host.indexOf('%');
    String address = percent < 0 ? host : host.substring(0, percent);
    String zone = percent < 0 ? "x" : host.substring(percent + 1);
    return address.length() >= 2
        && address.length() <= MAX_IPV6_LENGTH
        && address.chars().filter(c -> c == ':').count() >= 2
        && address.chars().allMatch(c -> c == ':' || c == '.' || isHexDigit(c))
        && !zone.isEmpty()
        && zone.length() <= MAX_ZONE_LENGTH
        && zone.chars().allMatch(c -> isAsciiLetterOrDigit(c) || c == '.' || c == '-' || c == '_');
  }

  private static boolean isHexDigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static boolean isAsciiLetterOrDigit(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /**
   * The input as it may appear in a message: control and non-ASCII characters escaped, cut short.
   */
  private static String printable(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder shown = new StringBuilder("'");
    int i = 0;
    for (; i < text.length() && i < SHOWN_CHARS; i++) {
      char c = text.charAt(i);
      shown.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return shown
        .append(i < text.length() ? "...' (" + text.length() + " characters)" : "'")
        .toString();
  }
}
