package kv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {
  @ParameterizedTest
  @ValueSource(strings = {"a", "node-1", "node_2.local", "Z9", "-._"})
  void lettersDigitsDotsUnderscoresAndDashesAreAnId(String id) {
    assertThat(NodeId.of(id).value()).isEqualTo(id);
  }

  @Test
  void sixtyFourCharactersAreAnIdAndSixtyFiveAreNot() {
    assertThat(NodeId.of("x".repeat(64)).value()).hasSize(64);
    assertThatThrownBy(() -> NodeId.of("x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "a b", "a/b", "a:1", "é", "😀", "node#1", "a\n", "{}"})
  void anythingElseIsRejectedWithTheRule(String id) {
    assertThatThrownBy(() -> NodeId.of(id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1-64 characters of [A-Za-z0-9._-]");
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> NodeId.of(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
