package kv.common;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Configuration read from environment variables, overridden by command-line flags of the same
 * meaning: {@code --node-port=8081} sets {@code NODE_PORT}. Invalid values fail fast with a message
 * naming the setting.
 */
public final class Settings {
  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  public static Settings from(Map<String, String> env, String... args) {
    Map<String, String> values = new HashMap<>(env);
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 3) {
        throw new IllegalArgumentException("flags are written --name=value, got: " + arg);
      }
      String name = arg.substring(2, eq).replace('-', '_').toUpperCase(Locale.ROOT);
      values.put(name, arg.substring(eq + 1));
    }
    return new Settings(values);
  }

  /** These settings with {@code name} set to {@code value}. */
  public Settings with(String name, String value) {
    Map<String, String> changed = new HashMap<>(values);
    changed.put(name, value);
    return new Settings(changed);
  }

  /**
   * The value exactly as given, untrimmed, and present even when empty (secrets want no tidying).
   */
  public Optional<String> raw(String name) {
    return Optional.ofNullable(values.get(name));
  }

  public Optional<String> optional(String name) {
    return Optional.ofNullable(values.get(name)).map(String::trim).filter(v -> !v.isEmpty());
  }

  public String string(String name, String fallback) {
    return optional(name).orElse(fallback);
  }

  public int integer(String name, int fallback, int min, int max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < min || value > max) {
        throw new IllegalArgumentException(name + " must be " + min + "-" + max + ": " + value);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer: " + raw.get(), e);
    }
  }

  /** {@code true} or {@code false} (any case); anything else fails, naming the setting. */
  public boolean bool(String name, boolean fallback) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return fallback;
    }
    switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new IllegalArgumentException(name + " must be true or false: " + raw.get());
    }
  }

  public Duration duration(String name, Duration fallback) {
    return duration(name, fallback, false);
  }

  /** A duration that may be {@code 0} (written {@code 0s} or {@code 0ms}), meaning "none". */
  public Duration durationOrZero(String name, Duration fallback) {
    return duration(name, fallback, true);
  }

  private Duration duration(String name, Duration fallback, boolean zeroAllowed) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return fallback;
    }
    try {
      Duration value = Durations.parse(raw.get());
      if (value.isZero() && !zeroAllowed) {
        throw new IllegalArgumentException(name + " must be positive: " + raw.get());
      }
      return value;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
    }
  }
}
