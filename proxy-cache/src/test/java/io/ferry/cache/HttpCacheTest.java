package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HttpCacheTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private static final Function<String, String> NO_HEADERS = name -> null;

    private HttpCache cache(long maxBytes, Duration grace, Duration keep) {
        return new HttpCache(new CacheSettings(maxBytes, 1 << 20, Duration.ofSeconds(120), grace, keep,
                Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1)), clock::get);
    }

    private static ByteBuf body(String s) {
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.directBuffer();
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return b;
    }

    private static StorePolicy.Decision ttl(long ttlMillis, long graceMillis, long keepMillis) {
        return new StorePolicy.Decision(true, "test", ttlMillis, graceMillis, 0, keepMillis);
    }

    private CachedResponse put(HttpCache c, String url, String content, StorePolicy.Decision d, String... headers) {
        List<Map.Entry<String, String>> h = new ArrayList<>();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            h.add(Map.entry(headers[i], headers[i + 1]));
        }
        String vary = null;
        for (Map.Entry<String, String> e : h) {
            if (e.getKey().equalsIgnoreCase("vary")) {
                vary = e.getValue();
            }
        }
        List<String> tags = new ArrayList<>();
        for (Map.Entry<String, String> e : h) {
            if (e.getKey().equalsIgnoreCase("cache-tags")) {
                tags.addAll(List.of(e.getValue().split(" ")));
            }
        }
        return c.store(HttpCache.primaryKey("h", url), vary, NO_HEADERS, 200, "OK", h, body(content), clock.get(), 0, d, tags);
    }

    @Test
    void statesFollowTtlGraceAndKeep() {
        HttpCache c = cache(1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(60));
        put(c, "/a", "x", ttl(5_000, 10_000, 60_000), "ETag", "\"1\"");
        String key = HttpCache.primaryKey("h", "/a");
        assertEquals(HttpCache.State.FRESH, c.lookup(key, NO_HEADERS).state());
        clock.addAndGet(6_000);
        assertEquals(HttpCache.State.GRACE, c.lookup(key, NO_HEADERS).state());
        clock.addAndGet(10_000);
        assertEquals(HttpCache.State.STALE, c.lookup(key, NO_HEADERS).state(), "kept for revalidation");
        clock.addAndGet(60_000);
        assertEquals(HttpCache.State.MISS, c.lookup(key, NO_HEADERS).state(), "gone after ttl + grace + keep");
    }

    @Test
    void revalidationRefreshesTheObjectKeepingItsBody() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ofSeconds(60));
        CachedResponse old = put(c, "/r", "body", ttl(1_000, 0, 60_000), "ETag", "\"e\"", "Content-Length", "4");
        clock.addAndGet(2_000);
        CachedResponse fresh = c.refresh(old, List.of(Map.entry("Cache-Control", "max-age=60"),
                Map.entry("Content-Length", "0")), 60_000);
        assertEquals("4", fresh.header("content-length"), "a 304 does not describe the stored body");
        assertEquals("max-age=60", fresh.header("cache-control"));
        HttpCache.Lookup l = c.lookup(HttpCache.primaryKey("h", "/r"), NO_HEADERS);
        assertEquals(HttpCache.State.FRESH, l.state());
        ByteBuf b = HttpCache.tryRetainBody(l.object());
        assertEquals("body", b.toString(StandardCharsets.UTF_8));
        b.release();
        c.clear();
        assertEquals(0, old.body().refCnt(), "shared body released once both objects are gone");
    }

    @Test
    void variantsAreKeyedOnTheVaryHeaders() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ZERO);
        String primary = HttpCache.primaryKey("h", "/v");
        Function<String, String> gzip = n -> n.equals("accept-encoding") ? "deflate, gzip" : null;
        Function<String, String> br = n -> n.equals("accept-encoding") ? "gzip, br" : null;
        c.store(primary, "Accept-Encoding", gzip, 200, "OK", List.of(), body("g"), clock.get(), 0, ttl(60_000, 0, 0), List.of());
        assertEquals(HttpCache.State.FRESH, c.lookup(primary, n -> n.equals("accept-encoding") ? "gzip" : null).state());
        assertEquals(HttpCache.State.MISS, c.lookup(primary, br).state());
        assertEquals(HttpCache.State.MISS, c.lookup(primary, NO_HEADERS).state());
        assertEquals("identity", Variants.normaliseEncoding("deflate"));
        assertEquals("zstd", Variants.normaliseEncoding("zstd"));
        assertEquals(1, c.purge(primary), "a purge removes every variant");
        c.clear();
    }

    @Test
    void evictionByBytesReleasesEachBodyExactlyOnce() {
        HttpCache c = cache(64 * 1024, Duration.ZERO, Duration.ZERO);
        List<CachedResponse> stored = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            stored.add(put(c, "/obj" + i, "x".repeat(4000), ttl(60_000, 0, 0)));
        }
        assertTrue(c.bytes() <= 64 * 1024, "weight bounded: " + c.bytes());
        assertTrue(c.stats().evictions() > 50);
        int released = 0;
        for (CachedResponse r : stored) {
            if (r.body().refCnt() == 0) {
                released++;
            }
        }
        assertEquals(c.stats().evictions(), released, "every evicted body released, no live one");
        c.clear();
        for (CachedResponse r : stored) {
            assertEquals(0, r.body().refCnt());
        }
    }

    @Test
    void bodiesSurviveEvictionWhileAWriterHoldsThemAndNeverDoubleRelease() throws Exception {
        HttpCache c = cache(256 * 1024, Duration.ZERO, Duration.ZERO);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        ConcurrentLinkedQueue<CachedResponse> all = new ConcurrentLinkedQueue<>();
        AtomicInteger served = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(4);
        for (int t = 0; t < 4; t++) {
            int thread = t;
            pool.execute(() -> {
                try {
                    for (int i = 0; i < 2_000; i++) {
                        String url = "/k" + ((i * 7 + thread) % 300);
                        String primary = HttpCache.primaryKey("h", url);
                        HttpCache.Lookup l = c.lookup(primary, NO_HEADERS);
                        if (l.object() != null) {
                            ByteBuf b = HttpCache.tryRetainBody(l.object());
                            if (b != null) {
                                assertEquals(2000, b.readableBytes());
                                b.release();
                                served.incrementAndGet();
                            }
                        } else if (i % 3 == 0) {
                            c.purge(primary);
                        } else {
                            all.add(put(c, url, "y".repeat(2000), ttl(60_000, 0, 0)));
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        pool.shutdown();
        c.clear();
        for (CachedResponse r : all) {
            assertEquals(0, r.body().refCnt(), "released exactly once (a double release would have thrown)");
        }
        assertTrue(served.get() > 0);
    }

    @Test
    void coalescingMakesOneFetcherAndReleasesWaiters() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ZERO);
        List<CachedResponse> got = new ArrayList<>();
        assertTrue(c.fetchOrWait("k", r -> got.add(r)), "the first is the fetcher");
        for (int i = 0; i < 99; i++) {
            assertFalse(c.fetchOrWait("k", got::add), "the others wait");
        }
        assertEquals(99, c.stats().coalescedWaits());
        CachedResponse stored = put(c, "/k", "v", ttl(60_000, 0, 0));
        c.fetchDone("k", stored);
        assertEquals(99, got.size());
        assertTrue(got.stream().allMatch(r -> r == stored));
        assertTrue(c.fetchOrWait("k", r -> { }), "after completion a new fetch may start");
        c.fetchDone("k", null);
        c.clear();
    }

    @Test
    void uncacheableFetchReleasesWaitersWithNothingAndMarksHitForMiss() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ZERO);
        String primary = HttpCache.primaryKey("h", "/private");
        List<CachedResponse> got = new ArrayList<>();
        c.fetchOrWait(primary, r -> { });
        c.fetchOrWait(primary, got::add);
        c.markHitForMiss(primary);
        c.fetchDone(primary, null);
        assertEquals(1, got.size());
        assertNull(got.get(0), "waiters go to the backend themselves");
        assertEquals(HttpCache.State.HIT_FOR_MISS, c.lookup(primary, NO_HEADERS).state());
        clock.addAndGet(121_000);
        assertEquals(HttpCache.State.MISS, c.lookup(primary, NO_HEADERS).state(), "the marker expires");
    }

    @Test
    void banAndTagPurges() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ZERO);
        put(c, "/node/1", "a", ttl(60_000, 0, 0), "Cache-Tags", "node:1 node_list");
        put(c, "/node/2", "b", ttl(60_000, 0, 0), "Cache-Tags", "node:2 node_list");
        put(c, "/about", "c", ttl(60_000, 0, 0), "Cache-Tags", "config:site");
        assertEquals(1, c.purgeTags(List.of("node:1")));
        assertEquals(1, c.purgeTags(List.of("node_list")), "node:2 was still tagged node_list");
        put(c, "/node/3", "d", ttl(60_000, 0, 0));
        c.ban(null, Pattern.compile("^/node/"));
        c.ban(Pattern.compile("^other\\\\."), null);
        assertEquals(HttpCache.State.MISS, c.lookup(HttpCache.primaryKey("h", "/node/3"), NO_HEADERS).state());
        assertNotNull(c.lookup(HttpCache.primaryKey("h", "/about"), NO_HEADERS).object());
        c.clear();
    }

    @Test
    void releasedBodyCannotBeRetained() {
        HttpCache c = cache(1 << 20, Duration.ZERO, Duration.ZERO);
        CachedResponse r = put(c, "/gone", "z", ttl(60_000, 0, 0));
        c.purge(HttpCache.primaryKey("h", "/gone"));
        assertNull(HttpCache.tryRetainBody(r), "a hit racing an eviction becomes a miss, never a use after release");
    }

    @Test
    void indexesShrinkWithEvictionsExpiryAndPurges() {
        // room for a few hundred objects; fifty thousand distinct URLs with Vary and two tags each pass through
        HttpCache c = cache(64 << 10, Duration.ZERO, Duration.ZERO);
        for (int i = 0; i < 50_000; i++) {
            put(c, "/page?bust=" + i, "body " + i, ttl(60_000, 0, 0), "Vary", "Accept-Language",
                    "Cache-Tags", "node:" + i + " list:" + (i % 1000));
        }
        c.cleanUp();
        int[] sizes = c.indexSizes();
        long objects = c.objects();
        assertTrue(objects < 5_000, "bounded by bytes: " + objects);
        assertTrue(sizes[0] <= objects, "URLs indexed: " + sizes[0] + " for " + objects + " objects");
        assertTrue(sizes[1] <= objects, "Vary names kept: " + sizes[1]);
        assertTrue(sizes[2] <= 2 * objects, "tags indexed: " + sizes[2]);

        clock.addAndGet(120_000); // everything expires
        c.cleanUp();
        assertEquals(0, c.objects());
        assertArrayEquals(new int[] {0, 0, 0}, c.indexSizes(), "expired objects leave no index entries");

        put(c, "/v", "x", ttl(60_000, 0, 0), "Vary", "Accept-Language", "Cache-Tags", "t");
        assertEquals(1, c.purge(HttpCache.primaryKey("h", "/v")));
        assertArrayEquals(new int[] {0, 0, 0}, c.indexSizes(), "a purge leaves none either");
        put(c, "/w", "x", ttl(60_000, 0, 0), "Cache-Tags", "t");
        assertEquals(1, c.purgeTags(List.of("t")));
        assertArrayEquals(new int[] {0, 0, 0}, c.indexSizes());
    }

    @Test
    void bansAreRecordedAtOnceAndAppliedOnLookupAndByTheLurker() {
        List<Runnable> lurker = new ArrayList<>();
        HttpCache c = new HttpCache(new CacheSettings(64L << 20, 1 << 20, Duration.ofSeconds(120), Duration.ZERO,
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1)), clock::get, lurker::add);
        for (int i = 0; i < 1000; i++) {
            put(c, "/a/" + i, "a", ttl(60_000, 0, 0));
            put(c, "/b/" + i, "b", ttl(60_000, 0, 0));
        }
        c.ban(null, Pattern.compile("^/a/"));
        assertEquals(2000, c.objects(), "nothing walked on the caller's thread");
        assertEquals(1, lurker.size(), "the lurker is handed the work");
        assertEquals(1, c.pendingBans());
        assertEquals(HttpCache.State.MISS, c.lookup(HttpCache.primaryKey("h", "/a/7"), NO_HEADERS).state(),
                "tested as it is looked up");
        assertEquals(HttpCache.State.FRESH, c.lookup(HttpCache.primaryKey("h", "/b/7"), NO_HEADERS).state());
        put(c, "/a/new", "stored after the ban", ttl(60_000, 0, 0));
        CachedResponse kept = put(c, "/a/kept", "revalidated", ttl(60_000, 0, 0), "ETag", "\"k\"");

        c.ban(null, Pattern.compile("^/a/kept$"));
        assertEquals(1, lurker.size(), "one lurker run takes every ban waiting");
        c.refresh(kept, List.of(Map.entry("ETag", "\"k\"")), 60_000);
        lurker.remove(0).run();
        assertEquals(0, c.pendingBans(), "every object has met every ban: the list is empty");
        assertEquals(1001, c.objects(), "the lurker removed the 999 others and the revalidated one");
        assertEquals(HttpCache.State.FRESH, c.lookup(HttpCache.primaryKey("h", "/a/new"), NO_HEADERS).state(),
                "a ban never touches what was stored after it");
        assertEquals(HttpCache.State.MISS, c.lookup(HttpCache.primaryKey("h", "/a/kept"), NO_HEADERS).state(),
                "a 304 refresh does not escape a ban it had not met");
        assertArrayEquals(new int[] {1001, 0, 0}, c.indexSizes());
        c.clear();
    }

    @Test
    void acceptLanguageVariantsIgnoreCaseSpacesAndOrder() {
        assertEquals(Variants.normaliseList("en-US,en;q=0.9"), Variants.normaliseList(" en;q=0.9 , EN-us"));
        String primary = HttpCache.primaryKey("h", "/p");
        String[] vary = {"accept-language"};
        assertEquals(Variants.variantKey(primary, vary, n -> "en-US,en;q=0.9", true),
                Variants.variantKey(primary, vary, n -> "en; q=0.9, en-us", true), "one variant");
        assertTrue(!Variants.variantKey(primary, vary, n -> "en-US,en;q=0.9", false)
                .equals(Variants.variantKey(primary, vary, n -> "en; q=0.9, en-us", false)), "cache.vary-normalize = false");
        assertTrue(!Variants.variantKey(primary, vary, n -> "de", true)
                .equals(Variants.variantKey(primary, vary, n -> "en", true)), "another language is another variant");
    }
}
