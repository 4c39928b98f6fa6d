package io.ferry.balance;

/** The hash of balancing and shard keys: every instance of a fleet must place a key the same way. */
public final class KeyHash {
    private KeyHash() {
    }

    /** 64-bit FNV-1a over the UTF-16 code units, finished with MurmurHash3's fmix64 to spread the bits. */
    public static long hash(CharSequence key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = key.length(); i < n; i++) {
            char c = key.charAt(i);
            h ^= c & 0xff;
            h *= 0x100000001b3L;
            if (c > 0xff) {
                h ^= c >>> 8;
                h *= 0x100000001b3L;
            }
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
