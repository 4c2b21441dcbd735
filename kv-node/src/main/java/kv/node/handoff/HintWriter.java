package kv.node.handoff;

import java.time.Clock;
import kv.common.Key;
import kv.common.NodeId;
import kv.node.storage.Hint;
import kv.node.storage.HintStore;
import kv.node.version.Versioned;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a hint for a replica that missed a write: the coordinator's own hint when no stand-in took
 * it, or one a coordinator sent this node as the stand-in (sloppy quorum). Stamps the creation time
 * that the hint window is measured from, and counts it.
 */
public final class HintWriter {
  private static final Logger log = LoggerFactory.getLogger(HintWriter.class);

  private final HintStore store;
  private final Clock clock;
  private final HintMetrics metrics;

  public HintWriter(HintStore store, Clock clock, HintMetrics metrics) {
    this.store = store;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Hint store(NodeId target, Key key, Versioned record) {
    Hint hint = store.add(target, key, record, clock.millis());
    metrics.stored();
    log.debug("Hint for {} stored: {} at {}", target, key, record.version());
    return hint;
  }
}
