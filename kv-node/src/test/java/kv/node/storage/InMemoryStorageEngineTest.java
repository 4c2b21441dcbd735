package kv.node.storage;

class InMemoryStorageEngineTest extends StorageEngineContract {
  @Override
  protected StorageEngine open() {
    return new InMemoryStorageEngine();
  }
}
