package kv.node.membership;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import kv.common.NodeCredential;
import kv.common.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node's identity: its id in {@code DATA_DIR/node-id}, so a restart rejoins at the same
 * tokens, and the credential that proves the id to the seed in {@code DATA_DIR/node-credential}
 * (readable by the owner only). Without a data directory both live in this object, so whoever keeps
 * it across a restart (the in-process test harness) keeps the identity.
 *
 * <p>Thread-safe: writes happen on the membership thread, reads anywhere.
 */
public final class NodeIdStore {
  private static final Logger log = LoggerFactory.getLogger(NodeIdStore.class);

  private final Optional<Path> idFile;
  private final Optional<Path> credentialFile;
  private volatile NodeId id;
  private volatile NodeCredential credential;

  public NodeIdStore(Optional<Path> dataDir) {
    this.idFile = dataDir.map(dir -> dir.resolve("node-id"));
    this.credentialFile = dataDir.map(dir -> dir.resolve("node-credential"));
  }

  /**
   * This node's id: {@code configured} ({@code NODE_ID}), else the one kept here, else a new one
   * ({@code node-} and 8 random hex digits), kept here before the node first registers, so a
   * registration whose answer was lost is retried under the same id (no phantom second member).
   */
  public NodeId resolve(Optional<NodeId> configured) {
    return configured
        .or(this::load)
        .orElseGet(
            () -> {
              NodeId picked = NodeId.of("node-" + UUID.randomUUID().toString().substring(0, 8));
              save(picked);
              log.info(
                  "No NODE_ID set and none kept in DATA_DIR: this node is {} from now on", picked);
              return picked;
            });
  }

  /** The credential kept here, else a new random one, kept before the node first registers. */
  public NodeCredential resolveCredential() {
    return loadCredential()
        .orElseGet(
            () -> {
              NodeCredential fresh = NodeCredential.random();
              saveCredential(fresh); // before registering: a retry must present this same one
              return fresh;
            });
  }

  public Optional<NodeId> load() {
    return idFile.isPresent() ? read(idFile.get(), NodeId::of) : Optional.ofNullable(id);
  }

  public void save(NodeId id) {
    this.id = id;
    idFile.ifPresent(file -> write(file, id.value(), false));
  }

  public Optional<NodeCredential> loadCredential() {
    return credentialFile.isPresent()
        ? read(credentialFile.get(), NodeCredential::new)
        : Optional.ofNullable(credential);
  }

  public void saveCredential(NodeCredential credential) {
    this.credential = credential;
    credentialFile.ifPresent(file -> write(file, credential.value(), true));
  }

  private static <T> Optional<T> read(Path file, Function<String, T> parse) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse.apply(Files.readString(file, StandardCharsets.UTF_8).trim()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          file + " is damaged (" + e.getMessage() + "); restore it or remove it", e);
    }
  }

  /** Atomically (a temporary file, then a rename), so a crash leaves the old or the new value. */
  private static void write(Path file, String value, boolean secret) {
    try {
      Files.createDirectories(file.getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(temp);
      if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            temp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(temp, value + "\n", StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
