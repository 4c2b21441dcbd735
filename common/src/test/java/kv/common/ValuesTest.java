package kv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void durationsReadTheDocumentedUnits() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    for (String bad : new String[] {"", "5", "s", "-1s", "1.5s", "5 sec", "99999999999s"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void endpointsParseAndPrintIncludingIpv6() {
    assertThat(Endpoint.parse("10.1.2.3:8080")).isEqualTo(new Endpoint("10.1.2.3", 8080));
    assertThat(Endpoint.parse("[::1]:9000").host()).isEqualTo("::1");
    assertThat(Endpoint.parse("[::1]:9000").toString()).isEqualTo("[::1]:9000");
    assertThat(new Endpoint("0:0:0:0:0:0:0:1", 80).httpUrl())
        .isEqualTo("http://[0:0:0:0:0:0:0:1]:80");
    for (String bad :
        new String[] {"host", "host:", ":80", "host:0", "host:65536", "host:x", "a b:1"}) {
      assertThatThrownBy(() -> Endpoint.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void endpointsAreHostNamesOrAddressesAndNothingElse() {
    for (String good :
        new String[] {
          "a:1",
          "node-1:8080",
          "kv_kv-node_1:8080",
          "10.0.0.1:65535",
          "Node.Example.COM:80",
          "[::1]:80",
          "[fe80::1%eth0]:80",
          "[::ffff:10.0.0.1]:80",
          "a".repeat(63) + ":80"
        }) {
      assertThat(Endpoint.parse(good).toString()).as(good).isEqualTo(good);
    }
    String label = "a".repeat(63);
    String longest = String.join(".", label, label, label, "a".repeat(61));
    assertThat(Endpoint.parse(longest + ":80").host()).hasSize(253);
    for (String bad :
        new String[] {
          longest + "a:80",
          "a".repeat(64) + ":80",
          "x".repeat(300) + ":80",
          "host\r\nX:80",
          "host\u0000:80",
          "user@host:80",
          "host:80 ",
          " host:80",
          "host:+80",
          "host:-1",
          "host:999999",
          "-host:80",
          "host-:80",
          "a..b:80",
          ".a:80",
          "a.:80",
          "h\u00e9:80",
          "::1:80",
          "[::1]x:80",
          "[zz::1]:80",
          "[::1%]:80",
          "[1]:80",
          "[]:80",
          "ho/st:80",
          "host:8\u0660"
        }) {
      assertThatThrownBy(() -> Endpoint.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\r", "\n", "\u0000"));
    }
    assertThatThrownBy(() -> new Endpoint("evil\nhost", 80))
        .hasMessageContaining("'evil\\u000ahost'");
  }

  @Test
  void keysAreOneTo1024BytesOfUtf8() {
    assertThat(Key.of("k".repeat(1024)).value()).hasSize(1024);
    assertThat(Key.of("😀".repeat(256)).value()).isNotEmpty(); // 4 bytes each: exactly 1024
    for (String bad : new String[] {null, "", "k".repeat(1025), "😀".repeat(256) + "k"}) {
      assertThatThrownBy(() -> Key.of(bad))
          .isInstanceOfSatisfying(
              KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }
  }

  @Test
  void valuesCopyTheirBytesAndCompareByContent() {
    byte[] bytes = {1, 2, 3};
    Value value = Value.copyOf(bytes);
    bytes[0] = 9;
    value.toBytes()[1] = 9;
    assertThat(value.toBytes()).containsExactly(1, 2, 3);
    assertThat(value)
        .isEqualTo(Value.copyOf(new byte[] {1, 2, 3}))
        .hasSameHashCodeAs(Value.copyOf(new byte[] {1, 2, 3}));
  }

  @Test
  void settingsPreferFlagsOverEnvironmentAndNameTheBadSetting() {
    Settings settings =
        Settings.from(Map.of("NODE_PORT", "8080", "VNODES", "x"), "--node-port=9090");
    assertThat(settings.integer("NODE_PORT", 1, 0, 65535)).isEqualTo(9090);
    assertThatThrownBy(() -> settings.integer("VNODES", 128, 1, 4096))
        .hasMessageContaining("VNODES");
    assertThatThrownBy(() -> Settings.from(Map.of(), "node-port=1"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void booleanSettingsAreTrueOrFalseAndNothingElse() {
    Settings settings = Settings.from(Map.of("A", "true", "B", "FALSE", "C", "yes"));
    assertThat(settings.bool("A", false)).isTrue();
    assertThat(settings.bool("B", true)).isFalse();
    assertThat(settings.bool("MISSING", true)).isTrue();
    assertThatThrownBy(() -> settings.bool("C", false))
        .hasMessageContaining("C must be true or false");
  }

  @Test
  void tokenComparisonAdmitsOnlyTheSecret() {
    ClusterToken token = ClusterToken.of(java.util.Optional.of("abc"));
    assertThat(token.admits("abc")).isTrue();
    assertThat(token.admits("abd")).isFalse();
    assertThat(token.admits(null)).isFalse();
    assertThat(token.admits("")).isFalse();
    assertThat(ClusterToken.open().admits(null)).isTrue();
  }
}
