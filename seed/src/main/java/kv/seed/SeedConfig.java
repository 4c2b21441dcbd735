package kv.seed;

import java.time.Duration;
import kv.common.ClusterToken;
import kv.common.ClusterTokenConfig;
import kv.common.Settings;

/**
 * The seed's settings: {@code SEED_PORT}, {@code SEED_BIND}, {@code NODE_TTL}, and the cluster
 * secret ({@code CLUSTER_TOKEN}, {@code CLUSTER_TOKEN_FILE} or {@code ALLOW_OPEN_CLUSTER=true}).
 */
public record SeedConfig(String bind, int port, Duration nodeTtl, ClusterToken token) {
  public static SeedConfig from(Settings settings) {
    return new SeedConfig(
        settings.string("SEED_BIND", "0.0.0.0"),
        settings.integer("SEED_PORT", 9000, 0, 65_535),
        settings.duration("NODE_TTL", Duration.ofSeconds(15)),
        ClusterTokenConfig.read(settings));
  }

  /** A seed for tests: loopback, any free port, the default ttl, no token. */
  public static SeedConfig forTests() {
    return new SeedConfig("127.0.0.1", 0, Duration.ofSeconds(15), ClusterToken.open());
  }

  public SeedConfig withToken(ClusterToken token) {
    return new SeedConfig(bind, port, nodeTtl, token);
  }
}
