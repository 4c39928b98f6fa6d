package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cache.persist-file: a graceful stop writes the cache, the next start reads it — variants, tags and ages
 * kept, objects that expired while Ferry was down dropped — and a torn or foreign file is ignored. The
 * cache's clock is the test's, so "down for a minute" takes no time.
 */
class CachePersistenceTest {
    @TempDir
    Path dir;

    private final Map<String, AtomicInteger> fetched = new ConcurrentHashMap<>();
    private final AtomicLong clock = new AtomicLong(1_900_000_000_000L);

    private TestOrigin origin() {
        return TestOrigin.start(r -> {
            fetched.computeIfAbsent(r.uri() + " " + r.headers().get("Accept-Language"), k -> new AtomicInteger()).incrementAndGet();
            return switch (r.uri()) {
                case "/a" -> new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=600", "Vary", "Accept-Language"),
                        ("a in " + r.headers().get("Accept-Language")).getBytes());
                case "/short" -> new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=5"), "short".getBytes());
                default -> new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=600", "Surrogate-Key", "news"),
                        "tagged".getBytes());
            };
        });
    }

    private FerryHarness ferry(TestOrigin origin) {
        return FerryHarness.proxyTo(clock::get, """
                cache { enabled = true, persist-file = "%s" }
                """.formatted(dir.resolve("cache.snapshot")), origin.port());
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String language) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nAccept-Language: " + language + "\r\n\r\n").read();
        }
    }

    private int fetches(String path, String language) {
        AtomicInteger n = fetched.get(path + " " + language);
        return n == null ? 0 : n.get();
    }

    @Test
    void aRestartKeepsTheCacheAndDropsWhatExpiredMeanwhile() throws Exception {
        Path file = dir.resolve("cache.snapshot");
        try (TestOrigin origin = origin()) {
            try (FerryHarness first = ferry(origin)) {
                assertEquals("a in en", get(first, "/a", "en").bodyText());
                assertEquals("a in de", get(first, "/a", "de").bodyText());
                get(first, "/short", "en");
                get(first, "/tagged", "en");
            }
            assertTrue(Files.size(file) > 0, "written at the stop");
            clock.addAndGet(60_000); // down for a minute
            try (FerryHarness second = ferry(origin)) {
                assertFalse(Files.exists(file), "deleted once read: a crash later does not bring it back");
                RawClient.Response en = get(second, "/a", "en");
                assertEquals("a in en", en.bodyText());
                assertEquals("HIT", en.header("X-Cache"));
                assertEquals("60", en.header("Age"), "the minute down counts");
                assertEquals("a in de", get(second, "/a", "de").bodyText(), "each variant kept");
                assertEquals(1, fetches("/a", "en"));
                assertEquals(1, fetches("/a", "de"));
                assertEquals("MISS", get(second, "/short", "en").header("X-Cache"), "expired while down: dropped");
                assertEquals(2, fetches("/short", "en"));
                try (RawClient c = new RawClient(second.port())) {
                    RawClient.Response purge = c.send("PURGE / HTTP/1.1\r\nHost: t\r\nxkey: news\r\n\r\n").read();
                    assertEquals("1", purge.header("X-Purged-Objects"), "tags kept: " + purge.bodyText());
                }
            }
        }
    }

    /** The ban list is not written: what a ban selected must not come back through the file. */
    @Test
    void whatABanRemovedDoesNotComeBackAfterARestart() throws Exception {
        try (TestOrigin origin = origin()) {
            try (FerryHarness first = ferry(origin)) {
                get(first, "/a", "en");
                get(first, "/tagged", "en");
                try (RawClient c = new RawClient(first.port())) {
                    assertEquals(200, c.send("BAN /a HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
                }
            }
            try (FerryHarness second = ferry(origin)) {
                assertEquals("MISS", get(second, "/a", "en").header("X-Cache"), "banned before the stop");
                assertEquals("HIT", get(second, "/tagged", "en").header("X-Cache"), "the rest came back");
            }
        }
    }

    @Test
    void aTornOrForeignFileIsIgnored() throws Exception {
        Path file = dir.resolve("cache.snapshot");
        try (TestOrigin origin = origin()) {
            try (FerryHarness first = ferry(origin)) {
                get(first, "/a", "en");
            }
            byte[] whole = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 9)); // cut in the last record
            try (FerryHarness second = ferry(origin)) {
                assertEquals("MISS", get(second, "/a", "en").header("X-Cache"), "nothing of a torn file is used");
            }
            Files.writeString(file, "GIF89a not a cache at all");
            try (FerryHarness third = ferry(origin)) {
                assertEquals("MISS", get(third, "/a", "en").header("X-Cache"), "a foreign file is ignored, Ferry starts");
                assertFalse(Files.exists(file));
            }
        }
    }
}
