package kv.node.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import kv.common.NodeId;

/** Keeps the node's id in {@code DATA_DIR/node-id} so a restart rejoins at the same tokens. */
public final class NodeIdStore {
  private final Optional<Path> file;

  public NodeIdStore(Optional<Path> dataDir) {
    this.file = dataDir.map(dir -> dir.resolve("node-id"));
  }

  public Optional<NodeId> load() {
    if (file.isEmpty() || !Files.exists(file.get())) {
      return Optional.empty();
    }
    try {
      return Optional.of(NodeId.of(Files.readString(file.get(), StandardCharsets.UTF_8).trim()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.get(), e);
    }
  }

  public void save(NodeId id) {
    if (file.isEmpty()) {
      return;
    }
    try {
      Files.createDirectories(file.get().getParent());
      Path temp = file.get().resolveSibling("node-id.tmp");
      Files.writeString(temp, id.value() + "\n", StandardCharsets.UTF_8);
      Files.move(temp, file.get(), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file.get(), e);
    }
  }
}
