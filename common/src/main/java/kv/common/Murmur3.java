package kv.common;

/**
 * MurmurHash3 x64 128-bit (Austin Appleby, public domain), seed 0, returning the first 64 bits
 * ({@code h1}). It is the ring's token function: stable across JVMs, platforms and releases (never
 * change it: every stored key's position depends on it) and well mixed, so 128 virtual nodes per
 * node spread keys evenly. The same function as Cassandra's Murmur3Partitioner, except that it is
 * applied to unsigned-byte input, as the reference implementation does.
 */
public final class Murmur3 {
  private static final long C1 = 0x87c37b91114253d5L;
  private static final long C2 = 0x4cf5ad432745937fL;

  private Murmur3() {}

  public static long hash64(byte[] data) {
    long h1 = 0;
    long h2 = 0;
    int blocks = data.length / 16;
    for (int i = 0; i < blocks; i++) {
      long k1 = getLong(data, i * 16);
      long k2 = getLong(data, i * 16 + 8);
      h1 ^= mixK1(k1);
      h1 = Long.rotateLeft(h1, 27) + h2;
      h1 = h1 * 5 + 0x52dce729;
      h2 ^= mixK2(k2);
      h2 = Long.rotateLeft(h2, 31) + h1;
      h2 = h2 * 5 + 0x38495ab5;
    }
    long k1 = 0;
    long k2 = 0;
    int tail = blocks * 16;
    switch (data.length & 15) {
      case 15:
        k2 ^= (long) (data[tail + 14] & 0xff) << 48; // fall through
      case 14:
        k2 ^= (long) (data[tail + 13] & 0xff) << 40; // fall through
      case 13:
        k2 ^= (long) (data[tail + 12] & 0xff) << 32; // fall through
      case 12:
        k2 ^= (long) (data[tail + 11] & 0xff) << 24; // fall through
      case 11:
        k2 ^= (long) (data[tail + 10] & 0xff) << 16; // fall through
      case 10:
        k2 ^= (long) (data[tail + 9] & 0xff) << 8; // fall through
      case 9:
        k2 ^= data[tail + 8] & 0xff;
        h2 ^= mixK2(k2); // fall through
      case 8:
        k1 ^= (long) (data[tail + 7] & 0xff) << 56; // fall through
      case 7:
        k1 ^= (long) (data[tail + 6] & 0xff) << 48; // fall through
      case 6:
        k1 ^= (long) (data[tail + 5] & 0xff) << 40; // fall through
      case 5:
        k1 ^= (long) (data[tail + 4] & 0xff) << 32; // fall through
      case 4:
        k1 ^= (long) (data[tail + 3] & 0xff) << 24; // fall through
      case 3:
        k1 ^= (long) (data[tail + 2] & 0xff) << 16; // fall through
      case 2:
        k1 ^= (long) (data[tail + 1] & 0xff) << 8; // fall through
      case 1:
        k1 ^= data[tail] & 0xff;
        h1 ^= mixK1(k1); // fall through
      default:
        break;
    }
    h1 ^= data.length;
    h2 ^= data.length;
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    return h1 + h2;
  }

  private static long getLong(byte[] b, int i) {
    return (b[i] & 0xffL)
        | (b[i + 1] & 0xffL) << 8
        | (b[i + 2] & 0xffL) << 16
        | (b[i + 3] & 0xffL) << 24
        | (b[i + 4] & 0xffL) << 32
        | (b[i + 5] & 0xffL) << 40
        | (b[i + 6] & 0xffL) << 48
        | (b[i + 7] & 0xffL) << 56;
  }

  private static long mixK1(long k1) {
    return Long.rotateLeft(k1 * C1, 31) * C2;
  }

  private static long mixK2(long k2) {
    return Long.rotateLeft(k2 * C2, 33) * C1;
  }

  private static long fmix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
