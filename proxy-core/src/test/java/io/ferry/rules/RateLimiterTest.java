package io.ferry.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.RulesConfig;
import io.ferry.config.Template;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rate limiter on a clock the test moves: its rate, burst, retry time, bound and reload behaviour. */
class RateLimiterTest {
    private static final long MS = 1_000_000L;

    private static RateLimiter limiter(int rate, Duration per, int burst, int size) {
        RulesConfig.Limit limit = new RulesConfig.Limit("login", rate, per, burst,
                Template.parse("$remote_addr", false), size, 429, 0);
        return (RateLimiter) RequestRuleSet.limiters(Map.of("login", limit), Map.of()).get("login");
    }

    @Test
    void aBurstGoesAtOnceThenTheRateHoldsPerKey() {
        RateLimiter l = limiter(10, Duration.ofSeconds(1), 5, 1000); // one every 100 ms, 5 more at once
        long now = 1_000_000_000_000L;
        for (int i = 0; i < 6; i++) {
            assertEquals(0, l.acquire("203.0.113.1", now), "request " + i + " of the burst");
        }
        long wait = l.acquire("203.0.113.1", now);
        assertEquals(100 * MS, wait, "the next is due one interval on");
        assertEquals(0, l.acquire("203.0.113.2", now), "another client has its own bucket");
        assertEquals(0, l.acquire("203.0.113.1", now + 100 * MS));
        assertTrue(l.acquire("203.0.113.1", now + 100 * MS) > 0);
        assertEquals(0, l.acquire("203.0.113.1", now + 10_000 * MS), "a quiet client has its whole burst back");
        assertEquals(2, l.limited());
    }

    @Test
    void withoutBurstOneRequestPerInterval() {
        RateLimiter l = limiter(5, Duration.ofMinutes(1), 0, 1000); // one every 12 s
        long now = 42L;
        assertEquals(0, l.acquire("a", now));
        assertEquals(12_000 * MS, l.acquire("a", now));
        assertEquals(1_000 * MS, l.acquire("a", now + 11_000 * MS));
        assertEquals(0, l.acquire("a", now + 12_000 * MS));
    }

    /** 100 000 distinct client addresses through a table of 10 000: memory stays bounded. */
    @Test
    void theTableIsBoundedWhateverTheNumberOfClients() {
        RateLimiter l = limiter(1, Duration.ofSeconds(10), 0, 10_000);
        long now = 7L;
        for (int i = 0; i < 100_000; i++) {
            String address = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
            assertEquals(0, l.acquire(address, now), "each new client's first request goes");
        }
        long keys = l.keys();
        assertTrue(keys <= 10_000, "at most table-size keys kept: " + keys);
        assertTrue(keys > 5_000, "and the table is used: " + keys);
    }

    @Test
    void aReloadKeepsATableWhoseLimitIsUnchanged() {
        RulesConfig.Limit login = new RulesConfig.Limit("login", 1, Duration.ofMinutes(1), 0,
                Template.parse("$remote_addr", false), 100, 429, 0);
        Map<String, Limiter> first = RequestRuleSet.limiters(Map.of("login", login), Map.of());
        ((RateLimiter) first.get("login")).acquire("a", 0);
        Map<String, Limiter> same = RequestRuleSet.limiters(Map.of("login", login), first);
        assertSame(first.get("login"), same.get("login"));
        assertTrue(((RateLimiter) same.get("login")).acquire("a", 1) > 0, "what it counted before the reload still counts");
        RulesConfig.Limit looser = new RulesConfig.Limit("login", 100, Duration.ofMinutes(1), 0,
                Template.parse("$remote_addr", false), 100, 429, 0);
        assertNotSame(first.get("login"), RequestRuleSet.limiters(Map.of("login", looser), first).get("login"));
    }

    @Test
    void concurrentRequestsPerKeyAreCountedAndTheTableEmptiesAsTheyEnd() {
        RulesConfig.Limit limit = new RulesConfig.Limit("php", 0, Duration.ofSeconds(1), 0,
                Template.parse("$remote_addr", false), 100_000, 429, 2);
        ConcurrencyLimiter l = (ConcurrencyLimiter) RequestRuleSet.limiters(Map.of("php", limit), Map.of()).get("php");
        Runnable first = l.tryAcquire("a");
        Runnable second = l.tryAcquire("a");
        assertTrue(first != null && second != null);
        assertNull(l.tryAcquire("a"), "a third at once is refused");
        assertTrue(l.tryAcquire("b") != null, "another client has its own count");
        first.run();
        Runnable third = l.tryAcquire("a");
        assertTrue(third != null, "one ended: room for another");
        second.run();
        third.run();
        assertEquals(1, l.keys(), "a key leaves the table with its last request (b is still in progress)");
        assertEquals(1, l.limited());
        for (int i = 0; i < 100_000; i++) {
            l.tryAcquire("10.0." + (i >> 8 & 255) + "." + (i & 255)).run();
        }
        assertEquals(1, l.keys(), "100 000 clients that came and went leave nothing behind");
    }
}
