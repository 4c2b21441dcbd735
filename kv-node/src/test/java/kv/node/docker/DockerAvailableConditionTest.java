package kv.node.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DockerAvailableConditionTest {
  @Test
  void dockerTestsAreRequiredOnCiOrWhenAskedFor() {
    assertThat(DockerAvailableCondition.required("true", null)).isTrue();
    assertThat(DockerAvailableCondition.required("TRUE", "false")).isTrue();
    assertThat(DockerAvailableCondition.required(null, "true")).isTrue();
  }

  @Test
  void dockerTestsAreOptionalElsewhere() {
    assertThat(DockerAvailableCondition.required(null, null)).isFalse();
    assertThat(DockerAvailableCondition.required("false", "false")).isFalse();
    assertThat(DockerAvailableCondition.required("", null)).isFalse();
  }
}
