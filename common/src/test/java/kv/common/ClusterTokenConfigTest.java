package kv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTokenConfigTest {
  @TempDir Path dir;

  @Test
  void withoutASecretNothingStartsUnlessTheOpenSwitchIsSet() {
    assertThatThrownBy(() -> read(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no cluster secret: set CLUSTER_TOKEN or CLUSTER_TOKEN_FILE")
        .hasMessageContaining("ALLOW_OPEN_CLUSTER=true");
    assertThatThrownBy(() -> read(Map.of("ALLOW_OPEN_CLUSTER", "false")))
        .hasMessageContaining("no cluster secret");
    assertThatThrownBy(() -> read(Map.of("ALLOW_OPEN_CLUSTER", "yes")))
        .hasMessageContaining("ALLOW_OPEN_CLUSTER must be true or false");
    assertThat(read(Map.of("ALLOW_OPEN_CLUSTER", "true")).isOpen()).isTrue();
  }

  @Test
  void theTokenComesFromTheEnvironmentWithoutSurroundingWhitespace() {
    ClusterToken token = read(Map.of("CLUSTER_TOKEN", "  s3cret-token \n"));
    assertThat(token.isOpen()).isFalse();
    assertThat(token.headerValue()).contains("s3cret-token");
    assertThat(token.admits("s3cret-token")).isTrue();
    assertThat(read(Map.of("CLUSTER_TOKEN", "a b", "ALLOW_OPEN_CLUSTER", "true")).admits("a b"))
        .as("a token wins over the open switch")
        .isTrue();
  }

  @Test
  void blankOrWhitespaceTokensAreConfigurationErrorsNotAnOpenCluster() {
    for (String blank : new String[] {"", " ", "   ", "\t\n"}) {
      assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN", blank)))
          .as("'%s'", blank)
          .hasMessage("CLUSTER_TOKEN is blank; a cluster token must have content");
      assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN", blank, "ALLOW_OPEN_CLUSTER", "true")))
          .as("even with the open switch")
          .hasMessageContaining("CLUSTER_TOKEN is blank");
    }
  }

  @Test
  void tokensThatCannotTravelInAHeaderAreRefused() {
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN", "line\nbreak")))
        .hasMessageContaining("not printable ASCII at offset 4");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN", "s\u00e9cret")))
        .hasMessageContaining("not printable ASCII");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN", "x".repeat(1025))))
        .hasMessageContaining("at most 1024");
  }

  @Test
  void theTokenFileIsReadWithItsTrailingNewlineTrimmed() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), "from-a-file\n");
    ClusterToken token = read(Map.of("CLUSTER_TOKEN_FILE", file.toString()));
    assertThat(token.headerValue()).contains("from-a-file");

    Files.writeString(file, "windows\r\n");
    assertThat(read(Map.of("CLUSTER_TOKEN_FILE", file.toString())).headerValue())
        .contains("windows");
  }

  @Test
  void aMissingBlankOrOversizedTokenFileIsAnErrorNamingTheFile() throws IOException {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", missing.toString())))
        .hasMessageStartingWith("CLUSTER_TOKEN_FILE: cannot read " + missing);
    Path blank = Files.writeString(dir.resolve("blank"), " \n\n");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", blank.toString())))
        .hasMessage("CLUSTER_TOKEN_FILE " + blank + " is blank; a cluster token must have content");
    Path twoLines = Files.writeString(dir.resolve("two"), "one\ntwo\n");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", twoLines.toString())))
        .hasMessageContaining("not printable ASCII");
    Path huge = Files.write(dir.resolve("huge"), new byte[1 << 20]);
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", huge.toString())))
        .hasMessageContaining("larger than");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", " ")))
        .hasMessageContaining("CLUSTER_TOKEN_FILE is blank");
    assertThatThrownBy(() -> read(Map.of("CLUSTER_TOKEN_FILE", dir.toString())))
        .hasMessageStartingWith("CLUSTER_TOKEN_FILE: cannot read"); // a directory
  }

  @Test
  void settingBothTheTokenAndTheFileIsAnError() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), "same", StandardCharsets.UTF_8);
    assertThatThrownBy(
            () -> read(Map.of("CLUSTER_TOKEN", "same", "CLUSTER_TOKEN_FILE", file.toString())))
        .hasMessage("set CLUSTER_TOKEN or CLUSTER_TOKEN_FILE, not both");
  }

  private static ClusterToken read(Map<String, String> env) {
    return ClusterTokenConfig.read(Settings.from(env));
  }
}
