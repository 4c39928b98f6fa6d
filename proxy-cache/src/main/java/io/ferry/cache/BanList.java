package io.ferry.cache;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Varnish's ban list: a ban is recorded in O(1) with the next sequence number, and tested later —
 * against an object when it is next looked up, or by the lurker in the background — only for objects
 * stored before it. Each object remembers the last sequence it was tested against, so it meets each
 * ban at most once. Bans every stored object has been tested against are dropped.
 */
final class BanList {
    /** Objects whose host and request target match both patterns (null matches all) go. */
    record Ban(long seq, Pattern host, Pattern path) {
        boolean matches(String key) {
            int sep = key.indexOf('\u0000');
            int variant = key.indexOf('\u0001');
            String h = key.substring(0, sep);
            String uri = key.substring(sep + 1, variant < 0 ? key.length() : variant);
            return (host == null || host.matcher(h).find()) && (path == null || path.matcher(uri).find());
        }
    }

    /** Oldest first; replaced whole on each change (bans are rare, lookups many). */
    private volatile Ban[] bans = new Ban[0];
    private volatile long latest;

    /** The sequence of the newest ban; an object stored now is marked with it (no ban before applies). */
    long latest() {
        return latest;
    }

    synchronized Ban add(Pattern host, Pattern path) {
        Ban b = new Ban(latest + 1, host, path);
        Ban[] next = Arrays.copyOf(bans, bans.length + 1);
        next[bans.length] = b;
        bans = next;
        latest = b.seq();
        return b;
    }

    /** Whether a ban newer than {@code checked} matches {@code key}. */
    boolean banned(String key, long checked) {
        Ban[] all = bans;
        for (int i = all.length - 1; i >= 0 && all[i].seq() > checked; i--) {
            if (all[i].matches(key)) {
                return true;
            }
        }
        return false;
    }

    /** Every stored object has been tested against the bans up to {@code seq}: they can go. */
    synchronized void dropUpTo(long seq) {
        int keep = 0;
        while (keep < bans.length && bans[keep].seq() <= seq) {
            keep++;
        }
        if (keep > 0) {
            bans = Arrays.copyOfRange(bans, keep, bans.length);
        }
    }

    int size() {
        return bans.length;
    }
}
