package io.ferry.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The stats history's arithmetic on the test's clock: a step's rate, error share, p99 and hit ratio from the
 * requests made in it, per backend and per server; the step under way last; 15 minutes kept, then dropped.
 */
class StatsHistoryTest {
    private static final long STEP = StatsHistory.STEP_MILLIS * 1_000_000L;

    private static void requests(FerryHarness ferry, int n, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            for (int i = 0; i < n; i++) {
                c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
            }
        }
    }

    /** The values of {@code series} of the first object named {@code name} in the JSON. */
    private static String[] series(String json, String name, String series) {
        int at = json.indexOf("{\"name\":\"" + name + "\"");
        Matcher m = Pattern.compile("\"" + series + "\":\\[([^\\]]*)\\]").matcher(json);
        assertTrue(at >= 0 && m.find(at), json);
        return m.group(1).split(",");
    }

    @Test
    void aStepCountsWhatHappenedInIt() throws Exception {
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        try (TestOrigin origin = TestOrigin.start(r -> r.uri().equals("/boom")
                ? new TestOrigin.Reply(500, Map.of(), "no".getBytes())
                : new TestOrigin.Reply(200, Map.of("Cache-Control", r.uri().equals("/cached") ? "max-age=60" : "no-store"),
                        "ok".getBytes()));
             FerryHarness ferry = FerryHarness.proxyTo("cache.enabled = true", origin.port())) {
            StatsHistory history = new StatsHistory(ferry.server(), clock::get);
            requests(ferry, 10, "/cached"); // 1 miss, 9 hits
            requests(ferry, 8, "/fresh");
            requests(ferry, 2, "/boom");
            clock.addAndGet(STEP);
            history.step();

            String json = history.render();
            String server = "127.0.0.1:" + origin.port();
            String[] backendRate = series(json, "app", "rate");
            assertEquals(StatsHistory.POINTS + 1, backendRate.length);
            assertEquals("2.0", backendRate[StatsHistory.POINTS - 1], "20 answers in 10 s");
            assertEquals("10.00", series(json, "app", "error_pct")[StatsHistory.POINTS - 1], "2 of 20 were 5xx");
            assertEquals("45.0", series(json, "app", "hit_pct")[StatsHistory.POINTS - 1],
                    "9 hits of 20 lookups (what could not be stored was looked up too)");
            assertEquals("1.1", series(json, server, "rate")[StatsHistory.POINTS - 1], "the server saw the 11 misses");
            assertTrue(Double.parseDouble(series(json, server, "p99_ms")[StatsHistory.POINTS - 1]) > 0);
            assertEquals("null", series(json, "app", "rate")[0], "nothing before Ferry started");
            assertEquals("0.0", backendRate[StatsHistory.POINTS], "the step under way: nothing yet");

            requests(ferry, 5, "/fresh");
            clock.addAndGet(STEP / 2);
            assertEquals("1.0", series(history.render(), "app", "rate")[StatsHistory.POINTS], "5 in the 5 s under way");

            for (int i = 0; i < StatsHistory.POINTS; i++) {
                clock.addAndGet(STEP);
                history.step();
            }
            String[] later = series(history.render(), "app", "rate");
            assertTrue(java.util.Arrays.stream(later).noneMatch(v -> v.equals("2.0")), "15 minutes on, the first step is gone");
        }
    }
}
