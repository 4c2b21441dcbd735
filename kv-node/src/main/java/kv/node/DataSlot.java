package kv.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import kv.common.Settings;

/**
 * One of several data directories under a parent that several nodes share ({@code DATA_SLOTS}),
 * held by this process alone for as long as it runs, as Elasticsearch's {@code
 * node.max_local_storage_nodes} did.
 *
 * <p>Compose scales one service to many containers but gives them no index of their own, so a
 * per-node volume can only be anonymous, and anonymous volumes outlive the containers that scaling
 * down and recreating remove. With {@code DATA_SLOTS} every node mounts the project's one named
 * volume as {@code DATA_DIR} and claims the first {@code slot-<i>} whose {@code slot.lock} no other
 * process holds: a restarted container takes a free slot back with the id and records in it, a node
 * added after a scale-down takes over the slot (id and data) a removed node left, and {@code docker
 * compose down -v} removes everything. The kernel releases the lock when the process dies, however
 * it dies.
 */
public final class DataSlot implements AutoCloseable {
  private final Path dir;
  private final FileChannel channel;
  private final FileLock lock;

  private DataSlot(Path dir, FileChannel channel, FileLock lock) {
    this.dir = dir;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * With {@code DATA_SLOTS=n} and {@code DATA_DIR}, claims a slot and returns it; the caller
   * replaces {@code DATA_DIR} with {@link #dir()}. Without {@code DATA_SLOTS}: empty.
   *
   * @throws IllegalArgumentException if {@code DATA_SLOTS} is set without {@code DATA_DIR}
   * @throws IllegalStateException if every slot is held by another process
   */
  public static Optional<DataSlot> claimIfAsked(Settings settings) {
    int slots = settings.integer("DATA_SLOTS", 0, 0, 10_000);
    if (slots == 0) {
      return Optional.empty();
    }
    Path parent =
        settings
            .optional("DATA_DIR")
            .map(Path::of)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "DATA_SLOTS needs DATA_DIR: the slots are directories under it"));
    return Optional.of(claim(parent, slots));
  }

  static DataSlot claim(Path parent, int slots) {
    for (int i = 0; i < slots; i++) {
      Optional<DataSlot> slot = tryClaim(parent.resolve("slot-" + i));
      if (slot.isPresent()) {
        return slot.get();
      }
    }
    throw new IllegalStateException(
        "all " + slots + " data slots under " + parent + " are held by running nodes (DATA_SLOTS)");
  }

  private static Optional<DataSlot> tryClaim(Path dir) {
    try {
      Files.createDirectories(dir);
      FileChannel channel =
          FileChannel.open(
              dir.resolve("slot.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) { // held by this very JVM (tests run many nodes)
        lock = null;
      } catch (IOException e) {
        channel.close();
        throw e;
      }
      if (lock == null) {
        channel.close();
        return Optional.empty();
      }
      return Optional.of(new DataSlot(dir, channel, lock));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim the data slot " + dir, e);
    }
  }

  /** The directory this node uses as its {@code DATA_DIR}. */
  public Path dir() {
    return dir;
  }

  /** Lets another node take the slot. */
  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("releasing the data slot " + dir, e);
    }
  }
}
