package io.ferry.balance;

import java.util.Arrays;
import java.util.List;

/**
 * Consistent hashing on a ring with virtual nodes (weight × {@code hash-vnodes} points per server),
 * for uri-hash and source-hash: the same key keeps reaching the same server, and adding or removing
 * one of N servers moves only about 1/N of the keys. A key whose server is unavailable walks on to
 * the next available server on the ring, so only that server's keys move.
 */
final class ConsistentHashBalancer<S extends Balanced> implements Balancer<S> {
    private final long[] points;
    private final Object[] owners;

    ConsistentHashBalancer(List<S> servers, int virtualNodes) {
        int total = 0;
        for (S s : servers) {
            total += s.weight() * virtualNodes;
        }
        long[][] entries = new long[total][2];
        int i = 0;
        for (int si = 0; si < servers.size(); si++) {
            S s = servers.get(si);
            int n = s.weight() * virtualNodes;
            for (int v = 0; v < n; v++) {
                entries[i][0] = hash(s.name() + "#" + v);
                entries[i][1] = si;
                i++;
            }
        }
        Arrays.sort(entries, (x, y) -> Long.compare(x[0], y[0]));
        points = new long[total];
        owners = new Object[total];
        for (int k = 0; k < total; k++) {
            points[k] = entries[k][0];
            owners[k] = servers.get((int) entries[k][1]);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public S pick(CharSequence hashKey, S avoid) {
        if (points.length == 0) {
            return null;
        }
        long h = hash(hashKey == null ? "" : hashKey);
        int idx = Arrays.binarySearch(points, h);
        if (idx < 0) {
            idx = -idx - 1;
        }
        S fallback = null;
        for (int step = 0; step < points.length; step++) {
            S s = (S) owners[(idx + step) % points.length];
            if (s.isAvailable()) {
                if (s != avoid) {
                    return s;
                }
                fallback = s;
            }
        }
        return fallback;
    }

    static long hash(CharSequence key) {
        return KeyHash.hash(key);
    }
}
