package kv.node.replication;

import java.util.Optional;
import kv.common.Key;
import kv.node.storage.StorageEngine;
import kv.node.version.Version;
import kv.node.version.Versioned;

/** What a replica answers when it does not keep a record: the newer version it holds, if any. */
public final class Superseding {
  private Superseding() {}

  /**
   * The version of {@code key} in {@code storage} that is newer than {@code offered}, if there is
   * one (the engine refused the record); empty when it holds this very version (a replay).
   */
  public static Optional<Version> held(StorageEngine storage, Key key, Versioned offered) {
    return storage
        .get(key)
        .map(Versioned::version)
        .filter(held -> held.isNewerThan(offered.version()));
  }
}
