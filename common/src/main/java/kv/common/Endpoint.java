package kv.common;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A {@code host:port} where a service listens; IPv6 hosts are written in brackets. */
public record Endpoint(String host, int port) {
  public Endpoint {
    if (host == null || host.isBlank() || host.contains("/") || host.contains(" ")) {
      throw new IllegalArgumentException("host must be a name or an address: " + host);
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1-65535: " + port);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
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
      throw new IllegalArgumentException("address must be host:port: " + text);
    }
    try {
      return new Endpoint(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("address must be host:port: " + text, e);
    }
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
}
