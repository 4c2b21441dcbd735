package kv.seed;

import java.time.Duration;
import kv.common.ClusterToken;
import kv.common.Settings;
import kv.common.http.HttpLimits;

/**
 * The seed's settings: {@code SEED_PORT}, {@code SEED_BIND}, {@code NODE_TTL}, {@code CLUSTER_TOKEN};
 * its HTTP limits are a node's defaults (tests may shorten them).
 */
public record SeedConfig(
    String bind, int port, Duration nodeTtl, ClusterToken token, HttpLimits limits) {
  public static SeedConfig from(Settings settings) {
    return new SeedConfig(
        settings.string("SEED_BIND", "0.0.0.0"),
        settings.integer("SEED_PORT", 9000, 0, 65_535),
        settings.duration("NODE_TTL", Duration.ofSeconds(15)),
        ClusterToken.of(settings.optional("CLUSTER_TOKEN")),
        HttpLimits.defaults());
  }

  /** A seed for tests: loopback, any free port, the default ttl, no token. */
  public static SeedConfig forTests() {
    return new SeedConfig(
        "127.0.0.1", 0, Duration.ofSeconds(15), ClusterToken.open(), HttpLimits.defaults());
  }

  public SeedConfig withToken(ClusterToken token) {
    return new SeedConfig(bind, port, nodeTtl, token, limits);
  }

  public SeedConfig withLimits(HttpLimits limits) {
    return new SeedConfig(bind, port, nodeTtl, token, limits);
  }
}
