package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The shared cache through the proxy, against a real origin that counts what reaches it. */
class SharedCacheTest {

    /** The cache's clock: tests age objects by moving it, never by sleeping. */
    private final AtomicLong clock = new AtomicLong(System.currentTimeMillis());

    private FerryHarness ferry(int originPort, String cacheExtra) {
        return FerryHarness.proxyTo(clock::get, "cache { enabled = true\n" + cacheExtra + "\n}", originPort);
    }

    private static TestOrigin origin(Function<TestOrigin.Received, TestOrigin.Reply> f) {
        return TestOrigin.start(f);
    }

    private static TestOrigin.Reply reply(int status, String body, String... headers) {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("Content-Type", "text/plain");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return new TestOrigin.Reply(status, h, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String... headers) throws IOException {
        return request(ferry, "GET", path, headers);
    }

    private static RawClient.Response request(FerryHarness ferry, String method, String path, String... headers)
            throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: site.test\r\n");
            for (String h : headers) {
                sb.append(h).append("\r\n");
            }
            c.send(sb.append("\r\n").toString());
            return c.read(method.equals("HEAD"));
        }
    }

    @Test
    void cacheableResponsesAreServedFromMemory() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (TestOrigin o = origin(r -> reply(200, "page " + n.incrementAndGet(), "Cache-Control", "max-age=60"));
             FerryHarness ferry = ferry(o.port(), "")) {
            RawClient.Response first = get(ferry, "/page");
            assertEquals("MISS", first.header("x-cache"));
            RawClient.Response second = get(ferry, "/page");
            assertEquals("HIT", second.header("x-cache"));
            assertEquals("page 1", second.bodyText());
            assertTrue(second.header("age") != null);
            assertEquals("1.1 ferry", second.header("via"));
            assertEquals(1, o.requests().size());
            assertEquals("page 2", get(ferry, "/page?other").bodyText(), "the query is part of the key");
        }
    }

    @Test
    void drupalPresetSessionCookiesAndAuthorizationPassAnalyticsCookiesAreStripped() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "ok", "Cache-Control", "max-age=60"));
             FerryHarness ferry = ferry(o.port(), "anonymous.preset = drupal")) {
            assertEquals("MISS", get(ferry, "/n", "Cookie: _ga=GA1.2.3; has_js=1").header("x-cache"));
            assertNull(o.requests().get(0).headers().get("cookie"), "non-session cookies never reach the backend");
            assertEquals("HIT", get(ferry, "/n", "Cookie: _ga=other").header("x-cache"));
            assertEquals("PASS", get(ferry, "/n", "Cookie: SESS0123abcd=xyz; _ga=1").header("x-cache"));
            assertEquals("SESS0123abcd=xyz; _ga=1", o.requests().get(1).headers().get("cookie"));
            assertEquals("PASS", get(ferry, "/n", "Authorization: Basic dTpw").header("x-cache"));
            assertEquals("PASS", get(ferry, "/admin/config").header("x-cache"));
            assertEquals("PASS", get(ferry, "/n/../admin/config").header("x-cache"), "pass-paths see the normalised path");
            assertEquals("PASS", get(ferry, "/n/%2e%2e/admin/config").header("x-cache"));
            assertEquals(6, o.requests().size());
        }
    }

    @Test
    void uncacheableAnswersLeaveAHitForMissMarker() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "private", "Set-Cookie", "SESSabc=1"));
             FerryHarness ferry = ferry(o.port(), "")) {
            get(ferry, "/login");
            get(ferry, "/login");
            get(ferry, "/login");
            assertEquals(3, o.requests().size());
        }
        try (TestOrigin o = origin(r -> reply(200, "x", "Cache-Control", "no-store"));
             FerryHarness ferry = ferry(o.port(), "")) {
            get(ferry, "/a");
            get(ferry, "/a");
            assertEquals(2, o.requests().size());
        }
    }

    @Test
    void staticAssetsLoseCookiesAndAreCachedAtLeastMinTtl() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "body{}", "Set-Cookie", "tracker=1", "Cache-Control", "max-age=0"));
             FerryHarness ferry = ferry(o.port(), "")) {
            RawClient.Response first = get(ferry, "/themes/site.css?v=3", "Cookie: SESSabc=1");
            assertNull(first.header("set-cookie"), "Set-Cookie stripped from static assets");
            assertNull(o.requests().get(0).headers().get("cookie"), "Cookie stripped from static requests");
            assertEquals("HIT", get(ferry, "/themes/site.css?v=3").header("x-cache"));
            assertEquals(1, o.requests().size());
        }
    }

    @Test
    void varyCreatesVariantsWithNormalisedAcceptEncoding() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "enc=" + r.headers().get("accept-encoding"),
                "Cache-Control", "max-age=60", "Vary", "Accept-Encoding"));
             FerryHarness ferry = ferry(o.port(), "")) {
            assertEquals("enc=gzip, deflate", get(ferry, "/v", "Accept-Encoding: gzip, deflate").bodyText());
            assertEquals("enc=gzip, deflate", get(ferry, "/v", "Accept-Encoding: deflate, gzip").bodyText());
            assertEquals("enc=br, gzip", get(ferry, "/v", "Accept-Encoding: br, gzip").bodyText());
            assertEquals("enc=null", get(ferry, "/v").bodyText());
            assertEquals(3, o.requests().size(), "gzip, br and identity variants");
        }
        try (TestOrigin o = origin(r -> reply(200, "x", "Cache-Control", "max-age=60", "Vary", "*"));
             FerryHarness ferry = ferry(o.port(), "")) {
            get(ferry, "/star");
            get(ferry, "/star");
            assertEquals(2, o.requests().size(), "Vary: * is never stored");
        }
    }

    @Test
    void concurrentMissesMakeOneUpstreamRequest() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "shared", "Cache-Control", "max-age=60"));
             FerryHarness ferry = ferry(o.port(), "")) {
            o.hold(); // the one fetch stays at the origin until every other miss waits for it
            List<Future<String>> bodies = concurrently(100, () -> get(ferry, "/hot").bodyText());
            Eventually.until("one fetch at the origin, 99 waiting for it",
                    () -> o.heldNow() == 1 && ferry.server().cache().stats().coalescedWaits() == 99);
            o.releaseHeld();
            for (Future<String> b : bodies) {
                assertEquals("shared", b.get());
            }
            assertEquals(1, o.requests().size(), "100 concurrent misses, one fetch");
        }
    }

    @Test
    void waitersOfAnUncacheableFetchGoToTheBackendInParallel() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "mine", "Cache-Control", "private"));
             FerryHarness ferry = ferry(o.port(), "")) {
            o.hold();
            List<Future<String>> bodies = concurrently(10, () -> get(ferry, "/personal").bodyText());
            Eventually.until("one fetch, 9 waiting for it",
                    () -> o.heldNow() == 1 && ferry.server().cache().stats().coalescedWaits() == 9);
            o.releaseHeld(); // "private": the 9 released waiters go to the origin themselves
            for (Future<String> b : bodies) {
                assertEquals("mine", b.get());
            }
            assertEquals(10, o.requests().size(), "each released waiter fetched for itself");
        }
    }

    @Test
    void graceServesStaleWhileOneBackgroundFetchRefreshes() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (TestOrigin o = origin(r -> reply(200, "v" + n.incrementAndGet(), "Cache-Control", "max-age=1"));
             FerryHarness ferry = ferry(o.port(), "grace = 30s")) {
            assertEquals("v1", get(ferry, "/g").bodyText());
            clock.addAndGet(1300);
            o.hold(); // a slow refresh: clients must not wait for it
            RawClient.Response stale = get(ferry, "/g");
            assertEquals("v1", stale.bodyText(), "served stale at once");
            assertEquals("HIT", stale.header("x-cache"));
            assertEquals("v1", get(ferry, "/g").bodyText(), "still the grace copy while the refresh runs");
            Eventually.until("the refresh reached the origin", () -> o.heldNow() == 1);
            o.releaseHeld();
            Eventually.until("the refreshed object stored", () -> get(ferry, "/g").bodyText().equals("v2"));
            assertEquals(2, o.requests().size(), "exactly one background refresh");
        }
    }

    @Test
    void aBackgroundRefreshTakesTheOrdinaryPathAndQueuesForASlot() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (TestOrigin o = origin(r -> r.uri().equals("/busy") ? reply(200, "busy", "Cache-Control", "private")
                     : reply(200, "v" + n.incrementAndGet(), "Cache-Control", "max-age=1"));
             FerryHarness ferry = FerryHarness.proxyTo(clock::get,
                     "cache { enabled = true, grace = 30s }\nbackends.app.max-conns = 1", o.port())) {
            assertEquals("v1", get(ferry, "/g").bodyText());
            clock.addAndGet(1300);
            o.hold();
            List<Future<String>> busy = concurrently(1, () -> get(ferry, "/busy").bodyText());
            Eventually.until("/busy holds the one slot", () -> o.heldNow() == 1);
            assertEquals("v1", get(ferry, "/g").bodyText(), "the stale copy at once");
            var app = ferry.server().backends().get("app");
            Eventually.until("the refresh waits in the backend's queue, as any request", () -> app.queueLength() == 1);
            o.releaseHeld();
            assertEquals("busy", busy.get(0).get());
            Eventually.until("the refreshed object stored", () -> get(ferry, "/g").bodyText().equals("v2"));
        }
    }

    @Test
    void keptObjectsAreRevalidatedWithTheirValidators() throws Exception {
        try (TestOrigin o = origin(r -> "\"abc\"".equals(r.headers().get("if-none-match"))
                     ? new TestOrigin.Reply(304, Map.of("ETag", "\"abc\"", "Cache-Control", "max-age=60"), new byte[0])
                     : reply(200, "original", "ETag", "\"abc\"", "Cache-Control", "max-age=1"));
             FerryHarness ferry = ferry(o.port(), "grace = 0s\nkeep = 1m")) {
            assertEquals("original", get(ferry, "/k").bodyText());
            clock.addAndGet(1300);
            RawClient.Response r = get(ferry, "/k");
            assertEquals(200, r.status());
            assertEquals("original", r.bodyText(), "a 304 refreshed the kept object");
            assertEquals("\"abc\"", o.requests().get(1).headers().get("if-none-match"));
            assertEquals("HIT", get(ferry, "/k").header("x-cache"), "fresh again for max-age=60");
            assertEquals(2, o.requests().size());
        }
    }

    @Test
    void staleIfErrorStandsInWhenTheBackendIsDown() throws Exception {
        TestOrigin o = origin(r -> reply(200, "last good", "Cache-Control", "max-age=1"));
        try (FerryHarness ferry = ferry(o.port(), "grace = 0s\nstale-if-error = 1m")) {
            assertEquals("last good", get(ferry, "/e").bodyText());
            o.close();
            clock.addAndGet(1300);
            RawClient.Response r = get(ferry, "/e");
            assertEquals(200, r.status());
            assertEquals("last good", r.bodyText());
        } finally {
            o.close();
        }
    }

    @Test
    void aServerErrorWithinStaleIfErrorIsAnsweredWithTheStaleCopy() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (TestOrigin o = origin(r -> n.incrementAndGet() == 1
                     ? reply(200, "last good", "Cache-Control", "max-age=1, stale-if-error=60")
                     : reply(503, "database down"));
             FerryHarness ferry = ferry(o.port(), "grace = 0s")) {
            assertEquals("last good", get(ferry, "/s").bodyText());
            clock.addAndGet(1300);
            RawClient.Response r = get(ferry, "/s");
            assertEquals(200, r.status(), "RFC 5861: the 503 is not shown while stale-if-error allows the copy");
            assertEquals("last good", r.bodyText());
            assertEquals(2, o.requests().size(), "the origin was asked");
            clock.addAndGet(120_000);
            assertEquals(503, get(ferry, "/s").status(), "past stale-if-error the error goes through");
        }
    }

    @Test
    void anOriginThatClosesTheConnectionWithinStaleIfErrorIsCoveredByTheStaleCopy() throws Exception {
        try (io.ferry.testing.RawOrigin o = new io.ferry.testing.RawOrigin(io.ferry.testing.RawOrigin.reply(
                "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, stale-if-error=60\r\nContent-Length: 9\r\n\r\nlast good"));
             FerryHarness ferry = FerryHarness.proxyTo(clock::get, "cache { enabled = true, grace = 0s }\n"
                     + "backends.app.retries = 0", o.port())) {
            assertEquals("last good", get(ferry, "/c").bodyText());
            o.setBehaviour((socket, head) -> false); // reads the request, then closes without a word
            clock.addAndGet(1300);
            RawClient.Response r = get(ferry, "/c");
            assertEquals(200, r.status(), "the closed connection (a 502) is covered by the stale copy");
            assertEquals("last good", r.bodyText());
            assertEquals(2, o.heads().size());
        }
    }

    @Test
    void conditionalRangeAndHeadAreAnsweredFromTheStoredObject() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "0123456789", "Cache-Control", "max-age=60", "ETag", "\"v1\""));
             FerryHarness ferry = ferry(o.port(), "")) {
            get(ferry, "/c");
            assertEquals(304, get(ferry, "/c", "If-None-Match: \"v1\"").status());
            RawClient.Response range = get(ferry, "/c", "Range: bytes=2-5");
            assertEquals(206, range.status());
            assertEquals("2345", range.bodyText());
            assertEquals("bytes 2-5/10", range.header("content-range"));
            RawClient.Response changed = get(ferry, "/c", "Range: bytes=2-5", "If-Range: \"v0\"");
            assertEquals(200, changed.status(), "If-Range names an older version: the whole body (RFC 9110 §13.1.5)");
            assertEquals("0123456789", changed.bodyText());
            assertEquals(206, get(ferry, "/c", "Range: bytes=2-5", "If-Range: \"v1\"").status(), "still v1: the range");
            RawClient.Response head = request(ferry, "HEAD", "/c");
            assertEquals("10", head.header("content-length"));
            assertEquals("HIT", head.header("x-cache"));
            assertEquals(1, o.requests().size());
        }
    }

    @Test
    void aHeadMissIsFetchedAsGetAndStored() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, "0123456789", "Cache-Control", "max-age=60"));
             FerryHarness ferry = ferry(o.port(), "");
             RawClient c = new RawClient(ferry.port())) {
            c.send("HEAD /h HTTP/1.1\r\nHost: site.test\r\n\r\n");
            RawClient.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals("MISS", head.header("x-cache"));
            assertEquals("10", head.header("content-length"));
            assertEquals("GET", o.requests().get(0).method(), "fetched with GET so it can be stored");
            // Same connection: a body sent after the HEAD answer would be read as the next response.
            c.send("GET /h HTTP/1.1\r\nHost: site.test\r\n\r\n");
            RawClient.Response get = c.read();
            assertEquals("HIT", get.header("x-cache"));
            assertEquals("0123456789", get.bodyText());
            assertEquals("HIT", request(ferry, "HEAD", "/h").header("x-cache"));
            assertEquals(1, o.requests().size());
        }
    }

    @Test
    void purgeBanAndTagsWithTheAcl() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (TestOrigin o = origin(r -> reply(200, "n" + n.incrementAndGet(), "Cache-Control", "max-age=60",
                     "Cache-Tags", r.uri().startsWith("/node") ? "node:1 node_list" : "other"));
             FerryHarness ferry = ferry(o.port(), "purge.allow = [ \"127.0.0.1/32\" ]")) {
            get(ferry, "/node/1");
            RawClient.Response hit = get(ferry, "/node/1");
            assertEquals("HIT", hit.header("x-cache"));
            assertNull(hit.header("cache-tags"), "tags are not shown to clients");

            assertEquals(200, request(ferry, "PURGE", "/node/1").status());
            assertEquals("MISS", get(ferry, "/node/1").header("x-cache"));

            get(ferry, "/other");
            assertEquals(200, request(ferry, "PURGE", "/", "X-Purge-Tags: node:1").status());
            assertEquals("MISS", get(ferry, "/node/1").header("x-cache"), "purged by tag");
            assertEquals("HIT", get(ferry, "/other").header("x-cache"), "other tags untouched");

            assertEquals(200, request(ferry, "BAN", "/", "X-Ban-Path: ^/oth").status());
            assertEquals("MISS", get(ferry, "/other").header("x-cache"));

            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ferry.port()));
                RawClient c = new RawClient(s);
                c.send("PURGE /node/1 HTTP/1.1\r\nHost: site.test\r\n\r\n");
                assertEquals(403, c.read().status(), "PURGE from outside cache.purge.allow");
            }
            assertEquals("HIT", get(ferry, "/node/1").header("x-cache"), "the refused purge removed nothing");
        }
    }

    @Test
    void unsafeMethodsInvalidateTheUrl() throws Exception {
        try (TestOrigin o = origin(r -> reply(200, r.method(), "Cache-Control", "max-age=60"));
             FerryHarness ferry = ferry(o.port(), "")) {
            get(ferry, "/doc");
            assertEquals("HIT", get(ferry, "/doc").header("x-cache"));
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("POST /doc HTTP/1.1\r\nHost: site.test\r\nContent-Length: 1\r\n\r\nx");
                assertEquals("PASS", c.read().header("x-cache"));
            }
            assertEquals("MISS", get(ferry, "/doc").header("x-cache"));
        }
    }

    interface Call<T> {
        T call() throws Exception;
    }

    /** Starts {@code n} calls at once; the answers are awaited by the caller. */
    private static <T> List<Future<T>> concurrently(int n, Call<T> call) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(call::call));
            }
            return futures;
        } finally {
            pool.shutdown(); // the calls run on; no new ones
        }
    }
}
