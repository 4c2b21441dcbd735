package kv.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Murmur3Test {
  /** Reference values: the first 64 bits (little-endian h1) of MurmurHash3_x64_128, seed 0. */
  @Test
  void matchesTheReferenceImplementation() {
    assertThat(Murmur3.hash64(new byte[0])).isEqualTo(0L);
    assertThat(Murmur3.hash64(utf8("hello"))).isEqualTo(0xcbd8a7b341bd9b02L);
    assertThat(Murmur3.hash64(utf8("The quick brown fox jumps over the lazy dog")))
        .isEqualTo(0xe34bbc7bbc071b6cL);
  }

  @Test
  void everyTailLengthContributes() {
    byte[] data = utf8("0123456789abcdefXYZ0123456789abc"); // 32 bytes: two blocks
    long previous = Murmur3.hash64(new byte[0]);
    for (int length = 1; length <= data.length; length++) {
      long hash = Murmur3.hash64(java.util.Arrays.copyOf(data, length));
      assertThat(hash).as("length %d", length).isNotEqualTo(previous);
      previous = hash;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
