package kv.seed;

import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import kv.common.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar seed.jar}: reads the environment (and flags), starts the seed. */
public final class SeedMain {
  private static final Logger log = LoggerFactory.getLogger(SeedMain.class);

  private SeedMain() {}

  public static void main(String[] args) throws InterruptedException {
    SeedConfig config;
    try {
      config = SeedConfig.from(Settings.from(System.getenv(), args));
    } catch (IllegalArgumentException e) {
      log.error("Invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    SeedServer seed = SeedServer.start(config, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Seed shutting down");
                  seed.close();
                  stopped.countDown();
                },
                "seed-shutdown"));
    stopped.await();
  }
}
