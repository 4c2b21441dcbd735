package kv.node;

import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import kv.common.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar kv-node.jar}: reads the environment (and flags), starts a node. */
public final class NodeMain {
  private static final Logger log = LoggerFactory.getLogger(NodeMain.class);

  private NodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    NodeConfig config;
    Optional<DataSlot> slot;
    try {
      Settings settings = Settings.from(System.getenv(), args);
      slot = DataSlot.claimIfAsked(settings);
      if (slot.isPresent()) {
        log.info("Using data slot {} (DATA_SLOTS)", slot.get().dir());
        settings = settings.with("DATA_DIR", slot.get().dir().toString());
      }
      config = NodeConfig.from(settings);
    } catch (IllegalArgumentException e) {
      log.error("Invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    } catch (IllegalStateException | UncheckedIOException e) {
      log.error("Cannot start: {}", e.getMessage());
      System.exit(1);
      return;
    }
    KvNode node;
    try {
      node = KvNode.start(config);
    } catch (UncheckedIOException e) { // storage that cannot be opened: locked, unreadable, full
      log.error("Cannot start: {}", e.getCause().getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    // SIGTERM (docker stop, kill -TERM, Ctrl-C): leave the cluster, drain, finish, close
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Node shutting down (signal received)");
                  try {
                    node.shutdown();
                  } finally {
                    stopped.countDown();
                  }
                },
                "node-shutdown"));
    stopped.await();
    slot.ifPresent(DataSlot::close); // after the storage closed: the next node may take it
  }
}
