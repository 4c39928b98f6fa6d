package io.ferry.cache;

import java.util.Arrays;

/**
 * Varnish's ban list: a ban is recorded in O(1) with the next sequence number, and tested later —
 * against an object when it is next looked up, or by the lurker in the background — only for objects
 * stored before it. Each object remembers the last sequence it was tested against, so it meets each
 * ban at most once. Bans every stored object has been tested against are dropped.
 */
final class BanList {
    /** One recorded ban: what it selects, and its place in the list. */
    record Ban(long seq, BanRule rule) {
    }

    /** Oldest first; replaced whole on each change (bans are rare, lookups many). */
    private volatile Ban[] bans = new Ban[0];
    private volatile long latest;

    /** The sequence of the newest ban; an object stored now is marked with it (no ban before applies). */
    long latest() {
        return latest;
    }

    synchronized Ban add(BanRule rule) {
        Ban b = new Ban(latest + 1, rule);
        Ban[] next = Arrays.copyOf(bans, bans.length + 1);
        next[bans.length] = b;
        bans = next;
        latest = b.seq();
        return b;
    }

    /**
     * The newest ban after {@code checked} that selects the object, preferring a hard one (it removes,
     * where a soft one only makes stale); null when none does.
     */
    BanRule banned(CachedResponse object, long checked) {
        Ban[] all = bans;
        BanRule soft = null;
        for (int i = all.length - 1; i >= 0 && all[i].seq() > checked; i--) {
            BanRule r = all[i].rule();
            if (r.matches(object.key(), object)) {
                if (!r.soft()) {
                    return r;
                }
                soft = r;
            }
        }
        return soft;
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
