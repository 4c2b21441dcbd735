package kv.seed;

import java.time.Duration;
import kv.common.ClusterToken;
import kv.common.ClusterTokenConfig;
import kv.common.Settings;
import kv.common.http.HttpLimits;

/**
 * The seed's settings: {@code SEED_PORT}, {@code SEED_BIND}, {@code NODE_TTL}, the cluster secret
 * ({@code CLUSTER_TOKEN}, {@code CLUSTER_TOKEN_FILE} or {@code ALLOW_OPEN_CLUSTER=true}), and the
 * bounds on blocking queries: {@code MAX_WATCHES} open at once, each waiting at most {@code
 * MAX_WATCH_WAIT}. Its HTTP limits are a node's defaults (tests may shorten them).
 */
public record SeedConfig(
    String bind,
    int port,
    Duration nodeTtl,
    ClusterToken token,
    int maxWatches,
    Duration maxWatchWait,
    HttpLimits limits) {
  static final int DEFAULT_MAX_WATCHES = 1024;
  static final Duration DEFAULT_MAX_WATCH_WAIT = Duration.ofMinutes(1);

  public static SeedConfig from(Settings settings) {
    return new SeedConfig(
        settings.string("SEED_BIND", "0.0.0.0"),
        settings.integer("SEED_PORT", 9000, 0, 65_535),
        settings.duration("NODE_TTL", Duration.ofSeconds(15)),
        ClusterTokenConfig.read(settings),
        settings.integer("MAX_WATCHES", DEFAULT_MAX_WATCHES, 1, 1_000_000),
        settings.duration("MAX_WATCH_WAIT", DEFAULT_MAX_WATCH_WAIT),
        HttpLimits.defaults());
  }

  /** A seed for tests: loopback, any free port, the default ttl and bounds, no token. */
  public static SeedConfig forTests() {
    return new SeedConfig(
        "127.0.0.1",
        0,
        Duration.ofSeconds(15),
        ClusterToken.open(),
        DEFAULT_MAX_WATCHES,
        DEFAULT_MAX_WATCH_WAIT,
        HttpLimits.defaults());
  }

  public SeedConfig withToken(ClusterToken token) {
    return new SeedConfig(bind, port, nodeTtl, token, maxWatches, maxWatchWait, limits);
  }

  public SeedConfig withPort(int port) {
    return new SeedConfig(bind, port, nodeTtl, token, maxWatches, maxWatchWait, limits);
  }

  public SeedConfig withMaxWatches(int maxWatches) {
    return new SeedConfig(bind, port, nodeTtl, token, maxWatches, maxWatchWait, limits);
  }

  public SeedConfig withLimits(HttpLimits limits) {
    return new SeedConfig(bind, port, nodeTtl, token, maxWatches, maxWatchWait, limits);
  }
}
