package kv.node.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most members this node has seen in one member list, kept in {@code DATA_DIR/largest-cluster}
 * so that a restart remembers it. The coordinator counts replicas against it rather than against
 * the members it happens to see now: a node that sees a shrunken list (it started before the
 * others, or the seed forgot everybody and they are registering again one by one) must not take a
 * write with fewer copies than the cluster's own size calls for.
 */
public final class LargestCluster {
  private final Optional<Path> file;
  private final AtomicInteger size;

  public LargestCluster(Optional<Path> dataDir) {
    this.file = dataDir.map(dir -> dir.resolve("largest-cluster"));
    this.size = new AtomicInteger(load());
  }

  public int size() {
    return size.get();
  }

  /** Notes a list of {@code members}; kept (and written) only when it is the largest yet. */
  public void observe(int members) {
    int before = size.getAndAccumulate(members, Math::max);
    if (members > before) {
      save(members);
    }
  }

  private int load() {
    if (file.isEmpty() || !Files.exists(file.get())) {
      return 0;
    }
    try {
      return Integer.parseInt(Files.readString(file.get(), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.get(), e);
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          file.get()
              + " does not hold a member count: "
              + e.getMessage()
              + "; delete it to start counting again",
          e);
    }
  }

  private synchronized void save(int members) {
    if (file.isEmpty() || members < size.get()) {
      return; // a larger count was saved meanwhile
    }
    try {
      Files.createDirectories(file.get().getParent());
      Path temp = file.get().resolveSibling("largest-cluster.tmp");
      Files.writeString(temp, members + "\n", StandardCharsets.UTF_8);
      Files.move(
          temp, file.get(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file.get(), e);
    }
  }
}
