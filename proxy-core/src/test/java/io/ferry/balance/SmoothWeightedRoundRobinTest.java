package io.ferry.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

    @Test
    void spreadsWeightsSmoothlyAsNginxDoes() {
        SmoothWeightedRoundRobin<String> rr = new SmoothWeightedRoundRobin<>(List.of("a", "b", "c"), List.of(5, 1, 1));
        StringBuilder seq = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            seq.append(rr.pick(s -> true));
        }
        assertEquals("aabacaa", seq.toString());
    }

    @Test
    void honoursWeightsOverManyPicks() {
        SmoothWeightedRoundRobin<String> rr = new SmoothWeightedRoundRobin<>(List.of("a", "b"), List.of(3, 1));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(rr.pick(s -> true), 1, Integer::sum);
        }
        assertEquals(300, counts.get("a"));
        assertEquals(100, counts.get("b"));
    }

    @Test
    void skipsUnusableServers() {
        SmoothWeightedRoundRobin<String> rr = new SmoothWeightedRoundRobin<>(List.of("a", "b"), List.of(1, 1));
        for (int i = 0; i < 5; i++) {
            assertEquals("b", rr.pick(s -> !s.equals("a")));
        }
        assertNull(rr.pick(s -> false));
    }
}
