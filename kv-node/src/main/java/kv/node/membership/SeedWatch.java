package kv.node.membership;

import java.time.Duration;
import kv.common.error.KvException;
import kv.common.wire.MembershipView;
import kv.node.ring.ViewHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one blocking query open on the seed's member list ({@code GET /members?index=V&wait=D}), so
 * a change reaches this node as soon as the seed makes it instead of at its next heartbeat. Each
 * answer goes to the {@link ViewInstaller}, and the next watch asks for a change past the version
 * the seed answered with. A watch that fails (seed down, restarting, refusing: too many watches) is
 * retried after a pause that doubles up to {@link #MAX_PAUSE}; heartbeats keep the polling path
 * working meanwhile. Runs on its own thread from the node's first registration until {@link
 * #close()}.
 */
public final class SeedWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SeedWatch.class);

  /** How long each watch waits at the seed for a change. */
  public static final Duration WAIT = Duration.ofSeconds(30);

  private static final Duration MIN_PAUSE = Duration.ofMillis(100);
  static final Duration MAX_PAUSE = Duration.ofSeconds(5);

  private final SeedClient seed;
  private final ViewHolder views;
  private final ViewInstaller installer;
  private final MembershipWatcher membership;
  private final Duration wait;
  private final Thread thread;
  private volatile boolean running = true;

  public SeedWatch(
      SeedClient seed,
      ViewHolder views,
      ViewInstaller installer,
      MembershipWatcher membership,
      Duration wait) {
    this.seed = seed;
    this.views = views;
    this.installer = installer;
    this.membership = membership;
    this.wait = wait;
    this.thread = new Thread(this::run, "membership-watch");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    try {
      if (!membership.awaitFirstRegistration()) {
        return;
      }
      watch();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    }
  }

  private void watch() throws InterruptedException {
    long index = views.current().version();
    int failures = 0;
    while (running) {
      long started = System.nanoTime();
      try {
        MembershipView view = seed.watch(index, wait);
        installer.offer(view, ViewSource.WATCH, seed.url().toString());
        if (failures > 0) {
          log.info("Watching the seed's member list again after {} failed attempt(s)", failures);
          failures = 0;
        }
        if (view.version() == index && answeredEarly(started)) {
          pause(MAX_PAUSE); // the seed did not hold the query: do not turn it into a busy poll
        }
        index = view.version();
      } catch (KvException e) {
        if (!running) {
          return;
        }
        if (failures++ == 0) {
          log.warn(
              "Watch on the seed's member list failed ({}); retrying, heartbeats meanwhile",
              e.getMessage());
        }
        pause(backoff(failures));
      }
    }
  }

  private boolean answeredEarly(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos).compareTo(wait.dividedBy(2)) < 0;
  }

  static Duration backoff(int failures) {
    long millis = MIN_PAUSE.toMillis() << Math.min(failures - 1, 16);
    return Duration.ofMillis(Math.min(millis, MAX_PAUSE.toMillis()));
  }

  private static void pause(Duration pause) throws InterruptedException {
    Thread.sleep(pause.toMillis()); // a retry pause on the watch's own thread, not a test wait
  }

  /** Ends the watch in flight and stops the thread. */
  @Override
  public void close() {
    running = false;
    seed.cancelWatch();
    thread.interrupt();
    try {
      thread.join(Duration.ofSeconds(2).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
