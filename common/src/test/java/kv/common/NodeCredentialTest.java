package kv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class NodeCredentialTest {
  @Test
  void randomCredentialsAreLongDistinctAndMatchOnlyThemselves() {
    NodeCredential one = NodeCredential.random();
    NodeCredential two = NodeCredential.random();
    assertThat(one.value()).hasSize(43); // 256 bits, base64url
    assertThat(one).isNotEqualTo(two);
    assertThat(one.matches(new NodeCredential(one.value()))).isTrue();
    assertThat(one.matches(two)).isFalse();
    assertThat(one.matches(null)).isFalse();
  }

  @Test
  void neverPrintedAndValidatedOnTheWayIn() throws Exception {
    NodeCredential credential = NodeCredential.random();
    assertThat(credential.toString()).doesNotContain(credential.value()).contains("redacted");
    ObjectMapper json = Json.newMapper();
    assertThat(json.writeValueAsString(credential)).isEqualTo("\"" + credential.value() + "\"");
    assertThat(json.readValue("\"" + credential.value() + "\"", NodeCredential.class))
        .isEqualTo(credential);
    for (String bad :
        new String[] {
          null, "", "short", "x".repeat(129), "a".repeat(20) + "+/", "a".repeat(20) + " "
        }) {
      assertThatThrownBy(() -> new NodeCredential(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
