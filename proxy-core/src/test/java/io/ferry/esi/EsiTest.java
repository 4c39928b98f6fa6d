package io.ferry.esi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.ContentCodings;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * ESI over real sockets: a Netty origin serving templates (Surrogate-Control: content="ESI/1.0") and
 * fragments, counting what it is asked for; Ferry assembling them with the cache on and off.
 */
class EsiTest {
    private static final String ESI = "content=\"ESI/1.0\"";

    /** An origin whose pages are given by path; it counts requests per path and keeps the last request's Cookie. */
    private static final class Site implements AutoCloseable {
        final Map<String, Function<TestOrigin.Received, TestOrigin.Reply>> pages = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        final Map<String, String> lastCookie = new ConcurrentHashMap<>();
        final TestOrigin origin = TestOrigin.start(r -> {
            String path = r.uri();
            hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            String cookie = r.headers().get("Cookie");
            lastCookie.put(path, cookie == null ? "" : cookie);
            Function<TestOrigin.Received, TestOrigin.Reply> page = pages.get(path);
            return page == null ? new TestOrigin.Reply(404, Map.of("Content-Type", "text/plain"), "none".getBytes())
                    : page.apply(r);
        });

        Site page(String path, String body, String... headers) {
            Map<String, String> h = new HashMap<>();
            h.put("Content-Type", "text/html; charset=utf-8");
            for (int i = 0; i < headers.length; i += 2) {
                h.put(headers[i], headers[i + 1]);
            }
            pages.put(path, r -> new TestOrigin.Reply(200, h, body.getBytes(StandardCharsets.UTF_8)));
            return this;
        }

        int hits(String path) {
            AtomicInteger n = hits.get(path);
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() {
            origin.close();
        }
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String... headers) throws IOException {
        StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: site.test\r\n");
        for (String h : headers) {
            req.append(h).append("\r\n");
        }
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send(req.append("\r\n").toString()).read();
        }
    }

    @Test
    void aPageIsAssembledFromItsIncludes() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("", site.origin.port())) {
            site.page("/page", "<html><esi:include src=\"/header\"/><main>"
                            + "<esi:remove><a href=\"/header\">no ESI here</a></esi:remove>"
                            + "<!--esi <aside><esi:include src=\"side\"/></aside> -->"
                            + "<esi:comment text=\"for editors\"/></main></html>",
                    "Surrogate-Control", ESI, "ETag", "\"t1\"")
                .page("/header", "<header>Site</header>")
                .page("/side", "<p>side</p>");
            RawClient.Response r = get(ferry, "/page");
            assertEquals(200, r.status());
            assertEquals("<html><header>Site</header><main> <aside><p>side</p></aside> </main></html>", r.bodyText());
            assertNull(r.header("Surrogate-Control"), "meant for Ferry");
            assertNull(r.header("Content-Length"), "streamed as it is assembled");
            assertNull(r.header("ETag"), "the template's validator is not the page's");
            assertEquals(1, site.hits("/side"), "a relative src resolves against the page's path");
            assertTrue(site.origin.requests().get(0).headers().get("Surrogate-Capability").contains("ESI/1.0"),
                    "backends are told Ferry can assemble");
            site.page("/plain", "<esi:include src=\"/header\"/>"); // no Surrogate-Control: not processed
            assertEquals("<esi:include src=\"/header\"/>", get(ferry, "/plain").bodyText());
        }
    }

    @Test
    void aRouteCanTurnItOnOrOff() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     routes = [ { path = "/on", backend = app, esi = true },
                                { path = "/off", backend = app, esi = false },
                                { backend = app } ]
                     """, site.origin.port())) {
            site.page("/on", "a<esi:include src=\"/f\"/>b").page("/f", "F")
                .page("/off", "a<esi:include src=\"/f\"/>b", "Surrogate-Control", ESI);
            assertEquals("aFb", get(ferry, "/on").bodyText(), "esi = true: no Surrogate-Control needed");
            assertEquals("a<esi:include src=\"/f\"/>b", get(ferry, "/off").bodyText());
            assertNull(site.origin.requests().get(site.origin.requests().size() - 1).headers().get("Surrogate-Capability"),
                    "a route that never assembles does not claim it can");
        }
    }

    @Test
    void nestedIncludesAndALoopStopAtTheDepthLimit() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("esi.max-depth = 3", site.origin.port())) {
            site.page("/page", "[<esi:include src=\"/a\"/>]", "Surrogate-Control", ESI)
                .page("/a", "a(<esi:include src=\"/b\"/>)", "Surrogate-Control", ESI)
                .page("/b", "b", "Surrogate-Control", ESI)
                .page("/loop", "L<esi:include src=\"/loop\"/>", "Surrogate-Control", ESI);
            assertEquals("[a(b)]", get(ferry, "/page").bodyText());
            assertEquals("LLLL", get(ferry, "/loop").bodyText(), "the page and three levels; the fourth is left out");
            assertEquals(4, site.hits("/loop"));
        }
    }

    @Test
    void anIncludeLoopThatFansOutIsStoppedByMaxIncludes() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("esi { max-depth = 10, max-includes = 20 }", site.origin.port())) {
            site.page("/fan", "x<esi:include src=\"/fan\" onerror=\"continue\"/><esi:include src=\"/fan\" onerror=\"continue\"/>",
                    "Surrogate-Control", ESI);
            RawClient.Response r = get(ferry, "/fan");
            assertEquals(200, r.status());
            assertEquals(21, site.hits("/fan"), "the page and its 20 includes, not 2^10");
            assertEquals(21, r.bodyText().length(), "each fetched level adds its x; the rest are left empty");
        }
    }

    @Test
    void aFailingIncludeIsEmptyWithContinueTriesItsAltOrFailsThePage() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("", site.origin.port())) {
            site.page("/continue", "a<esi:include src=\"/broken\" onerror=\"continue\"/>b", "Surrogate-Control", ESI)
                .page("/alt", "a<esi:include src=\"/broken\" alt=\"/fallback\"/>b", "Surrogate-Control", ESI)
                .page("/fallback", "F")
                .page("/strict", "a<esi:include src=\"/broken\"/>b", "Surrogate-Control", ESI);
            assertEquals("ab", get(ferry, "/continue").bodyText(), "the origin's 404 is left out");
            assertEquals("aFb", get(ferry, "/alt").bodyText());
            assertThrows(IOException.class, () -> get(ferry, "/strict"), "the page's stream is cut, as Varnish does");
            assertEquals("ab", get(ferry, "/continue").bodyText(), "Ferry goes on serving");
        }
    }

    /**
     * With the cache on, page and fragments are separate objects with their own lifetimes: a hit assembles
     * from cached fragments, a purged fragment is fetched again while the page stays cached, and a
     * per-user fragment (private) is fetched for each request with the page's Cookie.
     */
    @Test
    void pageAndFragmentsAreCachedApartAndPurgedApart() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     cache.enabled = true
                     # only /user depends on who asks: elsewhere the Cookie goes (Varnish: unset req.http.Cookie)
                     rules.request = [ { unless { path = "/user" }, del-header = Cookie } ]
                     """, site.origin.port())) {
            AtomicInteger version = new AtomicInteger(1);
            site.page("/page", "<h1>News</h1><esi:include src=\"/latest\"/><esi:include src=\"/user\"/>",
                    "Surrogate-Control", ESI, "Cache-Control", "public, max-age=600");
            site.pages.put("/latest", r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                    "Cache-Control", "public, max-age=600"), ("<p>v" + version.get() + "</p>").getBytes()));
            site.pages.put("/user", r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                    "Cache-Control", "private"), ("<p>" + r.headers().get("Cookie") + "</p>").getBytes()));
            assertEquals("<h1>News</h1><p>v1</p><p>session=ann</p>", get(ferry, "/page", "Cookie: session=ann").bodyText());
            assertEquals("<h1>News</h1><p>v1</p><p>session=bob</p>", get(ferry, "/page", "Cookie: session=bob").bodyText());
            assertEquals(1, site.hits("/page"), "the page is a hit the second time");
            assertEquals(1, site.hits("/latest"), "and so is its shared fragment");
            assertEquals(2, site.hits("/user"), "the private fragment is fetched for each user");
            assertEquals("session=bob", site.lastCookie.get("/user"), "with the page's Cookie");

            version.set(2);
            try (RawClient c = new RawClient(ferry.port())) {
                assertEquals(200, c.send("PURGE /latest HTTP/1.1\r\nHost: site.test\r\n\r\n").read().status());
            }
            RawClient.Response after = get(ferry, "/page", "Cookie: session=ann");
            assertEquals("<h1>News</h1><p>v2</p><p>session=ann</p>", after.bodyText());
            assertEquals(1, site.hits("/page"), "the page stayed cached");
            assertEquals(2, site.hits("/latest"), "the purged fragment was fetched again");
            assertEquals("HIT", after.header("X-Cache"));
        }
    }

    @Test
    void theAssembledPageIsCompressedNeverTheTemplate() throws Exception {
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     compression { enabled = true, min-length = 0 }
                     cache.enabled = true
                     """, site.origin.port())) {
            String filler = "<p>paragraph of the page that compresses well</p>".repeat(40);
            site.page("/page", filler + "<esi:include src=\"/f\"/>" + filler, "Surrogate-Control", ESI,
                    "Cache-Control", "max-age=60")
                .page("/f", "<b>fragment</b>", "Cache-Control", "max-age=60");
            for (String accept : new String[] {"gzip", "br", "zstd"}) { // a miss, then hits
                RawClient.Response r = get(ferry, "/page", "Accept-Encoding: " + accept);
                assertEquals(accept, r.header("Content-Encoding"));
                assertEquals(filler + "<b>fragment</b>" + filler,
                        new String(ContentCodings.decode(accept, r.body()), StandardCharsets.UTF_8));
            }
            assertEquals(filler + "<b>fragment</b>" + filler, get(ferry, "/page").bodyText());
            assertEquals(1, site.hits("/page"), "one template for every coding");
            assertEquals("identity", site.origin.requests().stream().filter(q -> q.uri().equals("/f"))
                    .findFirst().orElseThrow().headers().get("Accept-Encoding"), "fragments are fetched uncompressed");
        }
    }

    @Test
    void aTemplateTheBackendSentGzippedIsAssembledOnMissAndHit() throws Exception {
        byte[] template = "a<esi:include src=\"/f\"/>b".getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(template);
        }
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("cache.enabled = true", site.origin.port())) {
            site.pages.put("/page", r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                    "Content-Encoding", "gzip", "Surrogate-Control", ESI, "Cache-Control", "max-age=60"), gz.toByteArray()));
            site.page("/f", "F");
            RawClient.Response miss = get(ferry, "/page");
            assertEquals("aFb", miss.bodyText());
            assertNull(miss.header("Content-Encoding"));
            assertEquals("aFb", get(ferry, "/page").bodyText());
            assertEquals("aFb", get(ferry, "/page").bodyText(), "the hit keeps its parsed, decoded template");
            assertEquals(1, site.hits("/page"));
        }
    }

    @Test
    void aTemplateOverMaxSizeGoesOutAsItIs() throws Exception {
        String big = "<esi:include src=\"/f\"/>" + "x".repeat(3000);
        try (Site site = new Site();
             FerryHarness ferry = FerryHarness.proxyTo("esi.max-size = 2k", site.origin.port())) {
            site.page("/big", big, "Surrogate-Control", ESI).page("/f", "F");
            RawClient.Response r = get(ferry, "/big");
            assertEquals(big, r.bodyText());
            assertEquals(String.valueOf(big.length()), r.header("Content-Length"));
            assertEquals(0, site.hits("/f"));
        }
    }
}
