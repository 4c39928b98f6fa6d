package io.ferry.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The balancing policies over plain server records whose load and health the test sets. */
class BalancersTest {
    /** A server as a balancer sees it; the test sets its load and health. */
    static final class S implements Balanced {
        final String name;
        final int weight;
        int inFlight;
        boolean up = true;

        S(String name, int weight) {
            this.name = name;
            this.weight = weight;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int weight() {
            return weight;
        }

        @Override
        public int inFlight() {
            return inFlight;
        }

        @Override
        public boolean isAvailable() {
            return up;
        }

        @Override
        public boolean isUp() {
            return up;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static List<S> servers(int n) {
        List<S> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new S("10.0.0." + (i + 1) + ":80", 1));
        }
        return list;
    }

    @Test
    void leastConnPrefersTheLeastLoadedRelativeToWeight() {
        S a = new S("a", 1);
        S b = new S("b", 3);
        Balancer<S> lc = Balancer.create(BalanceAlgorithm.LEAST_CONN, List.of(a, b), 160);
        a.inFlight = 2;
        b.inFlight = 5; // 5/3 < 2/1
        assertEquals(b, lc.pick(null, null));
        b.inFlight = 7; // 7/3 > 2/1
        assertEquals(a, lc.pick(null, null));
        a.up = false;
        assertEquals(b, lc.pick(null, null));
    }

    @Test
    void leastConnBreaksTiesAtRandom() {
        List<S> list = servers(3);
        Balancer<S> lc = Balancer.create(BalanceAlgorithm.LEAST_CONN, list, 160);
        Map<S, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            counts.merge(lc.pick(null, null), 1, Integer::sum);
        }
        for (S s : list) {
            assertTrue(counts.getOrDefault(s, 0) > 700, "tied servers share the picks: " + counts);
        }
    }

    @Test
    void randomTwoPicksTheLessLoadedOfTwo() {
        S idle = new S("idle", 1);
        S busy = new S("busy", 1);
        busy.inFlight = 10;
        Balancer<S> p2c = Balancer.create(BalanceAlgorithm.RANDOM_TWO, List.of(idle, busy), 160);
        int idlePicks = 0;
        for (int i = 0; i < 1000; i++) {
            if (p2c.pick(null, null) == idle) {
                idlePicks++;
            }
        }
        // The busy one wins only when both draws hit it (about 1 in 4).
        assertTrue(idlePicks > 650 && idlePicks < 850, "idle picked " + idlePicks + " of 1000");
    }

    @Test
    void everyPolicyAvoidsTheFailedServerAndReturnsNullWhenAllAreDown() {
        for (BalanceAlgorithm algorithm : BalanceAlgorithm.values()) {
            List<S> list = servers(2);
            Balancer<S> b = Balancer.create(algorithm, list, 160);
            for (int i = 0; i < 20; i++) {
                assertEquals(list.get(1), b.pick("/k" + i, list.get(0)), algorithm + " avoids the failed server");
            }
            list.get(1).up = false;
            assertEquals(list.get(0), b.pick("/x", list.get(0)), algorithm + " falls back to the avoided one");
            list.get(0).up = false;
            assertNull(b.pick("/x", null), algorithm + " with every server down");
        }
    }

    @Test
    void consistentHashIsStableAndMovesAboutOneNthWhenAServerIsAdded() {
        List<S> four = servers(4);
        List<S> five = new ArrayList<>(four);
        five.add(new S("10.0.0.5:80", 1));
        Balancer<S> before = Balancer.create(BalanceAlgorithm.URI_HASH, four, 160);
        Balancer<S> after = Balancer.create(BalanceAlgorithm.URI_HASH, five, 160);
        int keys = 20_000;
        int moved = 0;
        for (int i = 0; i < keys; i++) {
            String key = "/node/" + i;
            S a = before.pick(key, null);
            assertEquals(a, before.pick(key, null), "same key, same server");
            S b = after.pick(key, null);
            if (a != b) {
                moved++;
                assertEquals(five.get(4), b, "a key only ever moves to the new server");
            }
        }
        double share = moved / (double) keys;
        assertTrue(share > 0.12 && share < 0.28, "about 1/5 of keys move, got " + share);
    }

    @Test
    void consistentHashMovesOnlyTheKeysOfARemovedOrDownServer() {
        List<S> list = servers(4);
        Balancer<S> ring = Balancer.create(BalanceAlgorithm.SOURCE_HASH, list, 160);
        Map<String, S> owner = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            owner.put("203.0.113." + i, ring.pick("203.0.113." + i, null));
        }
        S down = list.get(2);
        down.up = false;
        Map<S, Integer> spread = new HashMap<>();
        for (Map.Entry<String, S> e : owner.entrySet()) {
            S now = ring.pick(e.getKey(), null);
            if (e.getValue() != down) {
                assertEquals(e.getValue(), now, "keys of healthy servers stay put");
            } else {
                assertNotEquals(down, now);
                spread.merge(now, 1, Integer::sum);
            }
        }
        assertEquals(3, spread.size(), "the down server's keys spread over the others: " + spread);
    }

    @Test
    void consistentHashHonoursWeights() {
        S heavy = new S("heavy", 3);
        S light = new S("light", 1);
        Balancer<S> ring = Balancer.create(BalanceAlgorithm.URI_HASH, List.of(heavy, light), 160);
        int heavyCount = 0;
        for (int i = 0; i < 20_000; i++) {
            if (ring.pick("/p" + i, null) == heavy) {
                heavyCount++;
            }
        }
        double share = heavyCount / 20_000.0;
        assertTrue(share > 0.68 && share < 0.82, "weight 3 of 4 gets about 75%, got " + share);
    }
}
