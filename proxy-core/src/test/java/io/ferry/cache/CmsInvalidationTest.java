package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The invalidation requests real CMSs send Varnish, byte for byte as their modules and plugins write
 * them, against an origin that tags its pages the way each of them does. Each must remove exactly what
 * it names — never more (a tag BAN is not a flush), never nothing (a regex purge-all is not a no-op).
 */
class CmsInvalidationTest {
    private final AtomicInteger renders = new AtomicInteger();
    private TestOrigin origin;
    private FerryHarness ferry;

    /** What the origin tags each page with: Drupal, Magento, Symfony and xkey fields at once. */
    private static Map<String, String> tags(String path) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", path.endsWith(".css") ? "text/css" : "text/html; charset=UTF-8");
        h.put("Cache-Control", "public, max-age=3600");
        switch (path) {
            case "/a" -> {
                h.put("Cache-Tags", "node:1 node_list config:system.site");
                h.put("Purge-Cache-Tags", "node:1 node_list config:system.site");
                h.put("X-Magento-Tags", "cat_p,cat_p_1,cat_c_3");
                h.put("X-Cache-Tags", "tag-a,tag-common");
                h.put("xkey", "product-1 shared");
            }
            case "/b" -> {
                h.put("Cache-Tags", "node:2 node_list config:system.site");
                h.put("Purge-Cache-Tags", "node:2 node_list config:system.site");
                h.put("X-Magento-Tags", "cat_p,cat_p_2,cat_c_3");
                h.put("X-Cache-Tags", "tag-b,tag-common");
                h.put("xkey", "product-2 shared");
            }
            case "/v" -> {
                h.put("Vary", "Accept-Language");
                h.put("Cache-Tags", "node:7");
            }
            default -> {
            }
        }
        return h;
    }

    @BeforeEach
    void start() {
        origin = TestOrigin.start(r -> new TestOrigin.Reply(200, tags(r.uri()),
                ("render " + renders.incrementAndGet() + " of " + r.uri()).getBytes()));
        ferry = FerryHarness.proxyTo("cache { enabled = true, grace = 30s, purge.allow = [ \"127.0.0.1/32\" ] }",
                origin.port());
    }

    @AfterEach
    void stop() {
        ferry.close();
        origin.close();
    }

    private RawClient.Response send(String raw) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send(raw);
            return c.read();
        }
    }

    private String cacheStatus(String host, String path) throws IOException {
        return send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").header("x-cache");
    }

    /** Each page fetched once, so the next request for it is a HIT. */
    private void warm(String host, String... paths) throws IOException {
        for (String p : paths) {
            cacheStatus(host, p);
            assertEquals("HIT", cacheStatus(host, p), p);
        }
    }

    private void assertGone(String host, String... paths) throws IOException {
        for (String p : paths) {
            assertEquals("MISS", cacheStatus(host, p), p + " should have been invalidated");
        }
    }

    private void assertKept(String host, String... paths) throws IOException {
        for (String p : paths) {
            assertEquals("HIT", cacheStatus(host, p), p + " should have stayed");
        }
    }

    @Test
    void drupalVarnishPurgerBansByCacheTagsAndFlushesNothingElse() throws Exception {
        warm("site.test", "/a", "/b", "/about");
        // Drupal's Purge + Varnish purger: BAN / with the tags of the saved node, pipe separated
        RawClient.Response r = send("BAN / HTTP/1.1\r\nHost: site.test\r\nUser-Agent: GuzzleHttp/7\r\n"
                + "Cache-Tags: node:1\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals("1", r.header("x-purged-objects"));
        assertGone("site.test", "/a");
        assertKept("site.test", "/b", "/about");
        r = send("BAN / HTTP/1.1\r\nHost: site.test\r\nUser-Agent: GuzzleHttp/7\r\nCache-Tags: node:2|node_list\r\n\r\n");
        assertEquals("2", r.header("x-purged-objects"), "/a (fetched again) and /b carry node_list");
        assertKept("site.test", "/about");
    }

    @Test
    void drupalGenericHttpPurgerAndARegexOverTheSameField() throws Exception {
        warm("site.test", "/a", "/b");
        // purge_purger_http with the tags header module: Purge-Cache-Tags, space separated
        assertEquals("1", send("BAN / HTTP/1.1\r\nHost: site.test\r\nPurge-Cache-Tags: node:2\r\n\r\n")
                .header("x-purged-objects"));
        assertGone("site.test", "/b");
        warm("site.test", "/b");
        // the Varnish way: a regex over the stored Cache-Tags field, as ban("obj.http.Cache-Tags ~ ...")
        RawClient.Response r = send("BAN / HTTP/1.1\r\nHost: site.test\r\nCache-Tags: (^|\\s)node:1(\\s|$)\r\n\r\n");
        assertEquals(200, r.status());
        assertTrue(r.bodyText().startsWith("ban added"), r.bodyText());
        assertGone("site.test", "/a");
        assertKept("site.test", "/b");
    }

    @Test
    void drupal7BansAUrlRegexOnItsHost() throws Exception {
        warm("site.test", "/blog/post-1", "/blog/post-2", "/about");
        warm("other.test", "/blog/post-1");
        assertEquals(200, send("BAN /blog/.* HTTP/1.1\r\nHost: site.test\r\n\r\n").status());
        assertGone("site.test", "/blog/post-1", "/blog/post-2");
        assertKept("site.test", "/about");
        assertKept("other.test", "/blog/post-1");
    }

    @Test
    void wordpressProxyCachePurgeDefaultAndRegex() throws Exception {
        warm("site.test", "/blog/post-1", "/blog/post-2", "/");
        warm("other.test", "/");
        // varnish-http-purge purge_url(): PURGE of the post's URL, X-Purge-Method: default
        RawClient.Response one = send("PURGE /blog/post-1 HTTP/1.1\r\nhost: site.test\r\nX-Purge-Method: default\r\n\r\n");
        assertEquals("1", one.header("x-purged-objects"));
        assertGone("site.test", "/blog/post-1");
        assertKept("site.test", "/blog/post-2");
        // purge all: the home URL with "?vhp-regex" becomes PURGE /.* with X-Purge-Method: regex
        assertEquals(200, send("PURGE /.* HTTP/1.1\r\nhost: site.test\r\nX-Purge-Method: regex\r\n\r\n").status());
        assertGone("site.test", "/", "/blog/post-2", "/blog/post-1");
        assertKept("other.test", "/");
    }

    @Test
    void magentoPurgesByTagsPattern() throws Exception {
        warm("site.test", "/a", "/b", "/about");
        // Magento\CacheInvalidate: PURGE with a pattern over X-Magento-Tags
        assertEquals(200, send("PURGE / HTTP/1.1\r\nHost: site.test\r\n"
                + "X-Magento-Tags-Pattern: ((^|,)cat_p_1(,|$))\r\n\r\n").status());
        assertGone("site.test", "/a");
        assertKept("site.test", "/b", "/about");
        assertEquals(200, send("PURGE / HTTP/1.1\r\nHost: site.test\r\nX-Magento-Tags-Pattern: .*\r\n\r\n").status());
        assertGone("site.test", "/b");
    }

    @Test
    void symfonyFosHttpCacheBansByHostUrlAndTags() throws Exception {
        warm("site.test", "/blog/post-1", "/a", "/b", "/style.css");
        send("BAN / HTTP/1.1\r\nHost: site.test\r\nX-Host: ^site\\.test$\r\nX-Url: ^/blog/\r\nX-Content-Type: .*\r\n\r\n");
        assertGone("site.test", "/blog/post-1");
        assertKept("site.test", "/a", "/style.css");
        send("BAN / HTTP/1.1\r\nHost: site.test\r\nX-Host: .*\r\nX-Url: .*\r\nX-Content-Type: ^text/css\r\n\r\n");
        assertGone("site.test", "/style.css");
        send("BAN / HTTP/1.1\r\nHost: site.test\r\nX-Cache-Tags: (^|,)(tag-b)(,|$)\r\nX-Host: .*\r\nX-Url: .*\r\n"
                + "X-Content-Type: .*\r\n\r\n");
        assertGone("site.test", "/b");
        assertKept("site.test", "/a");
    }

    @Test
    void xkeyPurgeAndSoftPurge() throws Exception {
        warm("site.test", "/a", "/b");
        assertEquals("1", send("PURGE / HTTP/1.1\r\nHost: site.test\r\nxkey: product-2\r\n\r\n").header("x-purged-objects"));
        assertGone("site.test", "/b");
        int before = renders.get();
        RawClient.Response soft = send("PURGE / HTTP/1.1\r\nHost: site.test\r\nxkey-softpurge: product-1\r\n\r\n");
        assertEquals("1", soft.header("x-purged-objects"));
        RawClient.Response stale = send("GET /a HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertEquals("HIT", stale.header("x-cache"), "soft: the stale copy answers at once (grace)");
        Eventually.until("one refresh of the stale object", () -> renders.get() == before + 1);
        Eventually.until("the refreshed copy served",
                () -> send("GET /a HTTP/1.1\r\nHost: site.test\r\n\r\n").bodyText().equals("render " + renders.get() + " of /a"));
        assertEquals(before + 1, renders.get(), "no stampede: exactly one fetch");
    }

    @Test
    void mediawikiPurgesAnAbsoluteFormUrl() throws Exception {
        warm("site.test", "/wiki/Main_Page", "/wiki/Other");
        // $wgCdnServers: PURGE of the absolute URL
        RawClient.Response r = send("PURGE http://site.test/wiki/Main_Page HTTP/1.1\r\nHost: site.test\r\n"
                + "Connection: Keep-Alive\r\nProxy-Connection: Keep-Alive\r\nUser-Agent: MediaWiki/1.39\r\n\r\n");
        assertEquals("1", r.header("x-purged-objects"));
        assertGone("site.test", "/wiki/Main_Page");
        assertKept("site.test", "/wiki/Other");
    }

    @Test
    void aBanWithoutASelectorIsRefusedAndRemovesNothing() throws Exception {
        warm("site.test", "/a", "/b");
        RawClient.Response r = send("BAN / HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertEquals(400, r.status());
        assertTrue(r.bodyText().contains("needs a selector"), r.bodyText());
        assertKept("site.test", "/a", "/b");
        assertEquals(400, send("BAN / HTTP/1.1\r\nHost: site.test\r\nX-Ban-Path: (\r\n\r\n").status(), "a bad regex");
        assertEquals(400, send("PURGE /a HTTP/1.1\r\nHost: site.test\r\nX-Purge-Method: everything\r\n\r\n").status());
        assertKept("site.test", "/a");
    }

    @Test
    void aFastlySoftPurgeOfAUrlServesStaleWhileOneRequestRefreshes() throws Exception {
        warm("site.test", "/about");
        int before = renders.get();
        assertEquals("1", send("PURGE /about HTTP/1.1\r\nHost: site.test\r\nFastly-Soft-Purge: 1\r\n\r\n")
                .header("x-purged-objects"));
        assertEquals("HIT", cacheStatus("site.test", "/about"), "stale, in grace");
        Eventually.until("one refresh", () -> renders.get() == before + 1);
    }

    @Test
    void tagAndUrlBansReachEveryVariant() throws Exception {
        for (String lang : new String[] {"en", "de"}) {
            send("GET /v HTTP/1.1\r\nHost: site.test\r\nAccept-Language: " + lang + "\r\n\r\n");
            assertEquals("HIT", send("GET /v HTTP/1.1\r\nHost: site.test\r\nAccept-Language: " + lang + "\r\n\r\n")
                    .header("x-cache"), lang);
        }
        assertEquals("2", send("BAN / HTTP/1.1\r\nHost: site.test\r\nCache-Tags: node:7\r\n\r\n").header("x-purged-objects"),
                "both variants carry the tag");
        for (String lang : new String[] {"en", "de"}) {
            send("GET /v HTTP/1.1\r\nHost: site.test\r\nAccept-Language: " + lang + "\r\n\r\n");
        }
        send("BAN /v HTTP/1.1\r\nHost: site.test\r\n\r\n");
        for (String lang : new String[] {"en", "de"}) {
            assertEquals("MISS", send("GET /v HTTP/1.1\r\nHost: site.test\r\nAccept-Language: " + lang + "\r\n\r\n")
                    .header("x-cache"), "a URL ban, variant " + lang);
        }
    }
}
