package kv.node.storage;

class InMemoryHintStoreTest extends HintStoreContract {
  @Override
  protected HintStore open() {
    return new InMemoryHintStore();
  }
}
