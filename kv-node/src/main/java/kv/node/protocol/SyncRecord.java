package kv.node.protocol;

import kv.common.Key;
import kv.node.version.Versioned;

/**
 * One key's record as range transfers carry it: the key with its value or tombstone and version.
 */
public record SyncRecord(Key key, Versioned record) {}
