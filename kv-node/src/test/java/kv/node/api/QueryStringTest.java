package kv.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import kv.common.error.KvException;
import org.junit.jupiter.api.Test;

class QueryStringTest {
  @Test
  void decodesPercentEscapesPlusAndUtf8() {
    assertThat(QueryString.param("key=a%26b%2B%20c+d%F0%9F%98%80", "key")).hasValue("a&b+ c d😀");
    assertThat(QueryString.param("x=1&key=second&key=third", "key")).hasValue("second");
    assertThat(QueryString.param("k%65y=v", "key")).hasValue("v");
    assertThat(QueryString.param("key", "key")).hasValue("");
    assertThat(QueryString.param("key=", "key")).hasValue("");
    assertThat(QueryString.param("keys=1", "key")).isEmpty();
    assertThat(QueryString.param("", "key")).isEmpty();
    assertThat(QueryString.param(null, "key")).isEmpty();
    assertThat(QueryString.param("key=ü😀", "key")).hasValue("ü😀"); // raw non-ASCII passes through
  }

  @Test
  void rejectsMalformedEscapesAndInvalidUtf8() {
    for (String bad :
        new String[] {
          "key=%", "key=%4", "key=%zz", "key=%G1", "key=%FF", "key=%C3%28", "key=%ED%A0%80"
        }) {
      assertThatThrownBy(() -> QueryString.param(bad, "key"))
          .as(bad)
          .isInstanceOf(KvException.class)
          .hasMessageContaining("malformed percent-encoding");
    }
  }

  @Test
  void aRawReplacementCharacterIsABadByteNotAKey() {
    for (String bad : new String[] {"key=coll-\uFFFD", "key=\uFFFD%41", "k\uFFFD=1&key=a"}) {
      assertThatThrownBy(() -> QueryString.param(bad, "key"))
          .as(bad)
          .isInstanceOf(KvException.class)
          .hasMessageContaining("not UTF-8");
    }
    assertThat(QueryString.param("key=coll-%EF%BF%BD", "key")).hasValue("coll-\uFFFD");
  }
}
