package io.ferry.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request and response rules over real sockets: a client on 127.0.0.1, Ferry, and Netty origins that
 * record what they receive.
 */
class RulesTest {
    @TempDir
    Path dir;

    private static RawClient.Response get(FerryHarness ferry, String target, String... headers) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\n");
            boolean host = false;
            for (String h : headers) {
                req.append(h).append("\r\n");
                host |= h.regionMatches(true, 0, "Host:", 0, 5);
            }
            if (!host) {
                req.append("Host: www.example.org\r\n");
            }
            return c.send(req.append("\r\n").toString()).read();
        }
    }

    @Test
    void anAdminPathIsDeniedOutsideItsNetworkAndNeverForwarded() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request = [
                       { if { path-prefix = [ "/wp-admin/", "/wp-login.php" ], not { network = [ "10.0.0.0/8" ] } }, deny = 403 }
                       { if { path-prefix = "/status", network = [ "127.0.0.0/8", "::1" ] }, return { status = 200, body = "ok from the edge" } }
                     ]
                     """, origin.port())) {
            assertEquals(403, get(ferry, "/wp-admin/options.php").status());
            assertEquals(403, get(ferry, "/wp-login.php?action=lostpassword").status());
            assertEquals(403, get(ferry, "/wp-admin/../wp-admin/x").status(), "the normalised path is what rules see");
            assertTrue(origin.requests().isEmpty(), "a denied request never reaches the backend");
            RawClient.Response local = get(ferry, "/status");
            assertEquals(200, local.status());
            assertEquals("ok from the edge", local.bodyText());
            assertEquals(200, get(ferry, "/wp-content/style.css").status());
            assertEquals(1, origin.requests().size());
        }
    }

    @Test
    void redirectsRewritesAndHeaderEditsUseTheRequestsVariables() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request = [
                       { if { host = "old.example.org" }, redirect { status = 301, location = "https://www.example.org$request_uri" } }
                       { if { host = "*.example.net", method = [ GET, HEAD ] }, redirect { location = "$scheme://example.net$uri" } }
                       { rewrite { regex = "^/blog/(\\\\d+)$", replace = "/index.php?p=$1" } }
                       { rewrite { regex = "^/app(/.*)$", replace = "$1" } }
                       { set-header { X-Client = "$remote_addr $request_method", X-Session = "$cookie_sess" } }
                       { del-header = [ X-Debug ] }
                       { if { arg { name = "debug", equals = "1" } }, add-header { X-Debug-Asked = "yes $arg_debug" } }
                     ]
                     """, origin.port())) {
            RawClient.Response moved = get(ferry, "/a/b?x=1", "Host: OLD.example.org:8000");
            assertEquals(301, moved.status());
            assertEquals("https://www.example.org/a/b?x=1", moved.header("Location"));
            RawClient.Response found = get(ferry, "/p", "Host: shop.example.net");
            assertEquals(302, found.status());
            assertEquals("http://example.net/p", found.header("Location"));

            assertEquals("hello /index.php?p=42&x=1", get(ferry, "/blog/42?x=1").bodyText());
            assertEquals("hello /deep/page", get(ferry, "/app/deep/page").bodyText());
            get(ferry, "/plain?debug=1", "Cookie: a=b; sess=abc123", "X-Debug: secret");
            TestOrigin.Received last = origin.requests().get(origin.requests().size() - 1);
            assertEquals("127.0.0.1 GET", last.headers().get("X-Client"));
            assertEquals("abc123", last.headers().get("X-Session"));
            assertNull(last.headers().get("X-Debug"), "removed before the backend");
            assertEquals("yes 1", last.headers().get("X-Debug-Asked"));
            assertEquals(3, origin.requests().size(), "redirects are answered by Ferry");
        }
    }

    @Test
    void aMaintenancePageComesFromItsFile() throws Exception {
        Path page = Files.writeString(dir.resolve("maintenance.html"), "<h1>Back soon</h1>\n");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request = [
                       { unless { header { name = "X-Maintenance-Bypass", equals = "let-me-in" } },
                         return { status = 503, file = "%s", content-type = "text/html; charset=utf-8" } }
                     ]
                     """.formatted(page), origin.port())) {
            RawClient.Response r = get(ferry, "/any/page");
            assertEquals(503, r.status());
            assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
            assertEquals("<h1>Back soon</h1>\n", r.bodyText());
            assertEquals(200, get(ferry, "/any/page", "X-Maintenance-Bypass: let-me-in").status());
            assertEquals(1, origin.requests().size());
        }
    }

    @Test
    void useBackendSendsARequestElsewhere() throws Exception {
        try (TestOrigin main = TestOrigin.start(r -> TestOrigin.Reply.ok("main"));
             TestOrigin beta = TestOrigin.start(r -> TestOrigin.Reply.ok("beta"));
             FerryHarness ferry = FerryHarness.proxyTo("""
                     backends.beta.servers = [ "127.0.0.1:%d" ]
                     rules.request = [
                       { if { any = [ { cookie { name = "beta", equals = "1" } }, { path-regex = "^/beta(/|$)" } ] }, use-backend = beta }
                     ]
                     """.formatted(beta.port()), main.port())) {
            assertEquals("main", get(ferry, "/").bodyText());
            assertEquals("beta", get(ferry, "/", "Cookie: beta=1").bodyText());
            assertEquals("main", get(ferry, "/", "Cookie: beta=10").bodyText());
            assertEquals("beta", get(ferry, "/beta/x").bodyText());
            assertEquals("main", get(ferry, "/betamax").bodyText());
        }
    }

    @Test
    void responseRulesEditEveryResponseABackendsAFerrysOwnAndOnConditions() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(r.uri().equals("/missing") ? 404 : 200,
                Map.of("Content-Type", r.uri().endsWith(".css") ? "text/css" : "text/html; charset=utf-8",
                        "X-Powered-By", "PHP/8.2"), "body".getBytes()));
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request = [ { if { path = "/forbidden" }, deny = 403 } ]
                     rules.response = [
                       { set-header { X-Frame-Options = SAMEORIGIN, X-Content-Type-Options = nosniff } }
                       { del-header = X-Powered-By }
                       { if { content-type = "text/html" }, set-header { Content-Security-Policy = "default-src 'self'" } }
                       { if { status = [ 404, "4xx" ] }, set-header { Cache-Control = "no-store", X-Status = "$status for $uri" } }
                     ]
                     """, origin.port())) {
            RawClient.Response page = get(ferry, "/page");
            assertEquals("SAMEORIGIN", page.header("X-Frame-Options"));
            assertEquals("nosniff", page.header("X-Content-Type-Options"));
            assertNull(page.header("X-Powered-By"));
            assertEquals("default-src 'self'", page.header("Content-Security-Policy"));
            assertNull(page.header("X-Status"));

            RawClient.Response css = get(ferry, "/site.css");
            assertNull(css.header("Content-Security-Policy"), "only text/html gets it");
            assertEquals("SAMEORIGIN", css.header("X-Frame-Options"));

            RawClient.Response missing = get(ferry, "/missing");
            assertEquals(404, missing.status());
            assertEquals("404 for /missing", missing.header("X-Status"));

            RawClient.Response denied = get(ferry, "/forbidden");
            assertEquals(403, denied.status());
            assertEquals("SAMEORIGIN", denied.header("X-Frame-Options"), "Ferry's own answers too");
            assertEquals("403 for /forbidden", denied.header("X-Status"));
        }
    }

    @Test
    void requestIdsAreMadeOrTrustedSentOnAndEchoed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request-id.enabled = true
                     rules.request = [ { set-header { X-Trace = "id=$request_id" } } ]
                     """, origin.port())) {
            RawClient.Response r = get(ferry, "/", "X-Request-ID: client-chosen");
            String id = r.header("X-Request-ID");
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            TestOrigin.Received seen = origin.requests().get(0);
            assertEquals(id, seen.headers().get("X-Request-ID"), "the backend gets the same ID, not the client's");
            assertEquals("id=" + id, seen.headers().get("X-Trace"));
            String second = get(ferry, "/").header("X-Request-ID");
            assertTrue(!second.equals(id), "each request its own");
        }
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.request-id { enabled = true, trust-client = true, header = "X-Correlation-ID" }
                     """, origin.port())) {
            assertEquals("edge-42", get(ferry, "/", "X-Correlation-ID: edge-42").header("X-Correlation-ID"));
            assertEquals("edge-42", origin.requests().get(0).headers().get("X-Correlation-ID"));
            String replaced = get(ferry, "/", "X-Correlation-ID: has space\"quote").header("X-Correlation-ID");
            assertTrue(replaced.matches("[0-9a-f]{32}"), "a malformed client ID is replaced: " + replaced);
        }
    }

    @Test
    void aRedirectMapFromAFileAnswersItsUrlsAndPassesTheRest() throws Exception {
        // HAProxy map lines and nginx map lines (with ';'), comments and blanks: both load as they are
        Path map = Files.writeString(dir.resolve("redirects.map"), """
                # legacy URLs
                /old-page      https://www.example.org/new-page
                /about-us.html /about/;   # nginx style
                /old-page      https://www.example.org/second-wins-not

                """);
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.maps.legacy { file = "%s", key = "$uri" }
                     rules.request = [ { if { map = legacy }, redirect { status = 301, location = "$map_legacy" } } ]
                     """.formatted(map), origin.port())) {
            RawClient.Response moved = get(ferry, "/old-page?utm=x");
            assertEquals(301, moved.status());
            assertEquals("https://www.example.org/new-page", moved.header("Location"), "the first line for a key wins");
            assertEquals("/about/", get(ferry, "/about-us.html").header("Location"));
            assertEquals(200, get(ferry, "/old-page/sub").status(), "exact keys only");
            assertEquals(1, origin.requests().size());
        }
    }

    @Test
    void aHostMapPicksTheBackend() throws Exception {
        try (TestOrigin main = TestOrigin.start(r -> TestOrigin.Reply.ok("main"));
             TestOrigin shop = TestOrigin.start(r -> TestOrigin.Reply.ok("shop"))) {
            Path map = Files.writeString(dir.resolve("hosts.map"), "shop.example.org shop\nwww.example.org app\n");
            try (FerryHarness ferry = FerryHarness.proxyTo("""
                         backends.shop.servers = [ "127.0.0.1:%d" ]
                         rules.maps.hosts { file = "%s", key = "$host" }
                         rules.request = [ { use-backend = "$map_hosts" } ]
                         """.formatted(shop.port(), map), main.port())) {
                assertEquals("shop", get(ferry, "/", "Host: SHOP.example.org").bodyText());
                assertEquals("main", get(ferry, "/", "Host: www.example.org").bodyText());
                assertEquals("main", get(ferry, "/", "Host: unknown.example.org").bodyText(), "not in the map: the route's");
            }
        }
    }

    @Test
    void errorPagesReplaceFerrysOwnAnswers() throws Exception {
        Path pages = Files.createDirectories(dir.resolve("errors"));
        Files.writeString(pages.resolve("403.html"), "<h1>Not for you</h1>");
        Files.writeString(pages.resolve("502.html"), "<h1>The site is restarting</h1>");
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort(); // nothing listens there once this closes: connect fails, 502
        }
        try (FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.error-pages { 403 = "%s/403.html", 502 = "%s/502.html" }
                     rules.request = [ { if { path = "/private" }, deny = 403 }, { if { path = "/gone" }, deny = 410 } ]
                     """.formatted(pages, pages), closedPort)) {
            RawClient.Response denied = get(ferry, "/private");
            assertEquals(403, denied.status());
            assertEquals("text/html; charset=utf-8", denied.header("Content-Type"));
            assertEquals("<h1>Not for you</h1>", denied.bodyText());
            RawClient.Response down = get(ferry, "/page");
            assertEquals(502, down.status());
            assertEquals("<h1>The site is restarting</h1>", down.bodyText());
            RawClient.Response gone = get(ferry, "/gone");
            assertEquals(410, gone.status());
            assertEquals("410 Gone\n", gone.bodyText(), "no page for 410: Ferry's short answer");
        }
    }

    private static RawClient.Response post(FerryHarness ferry, String target, String client) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("POST " + target + " HTTP/1.1\r\nHost: www.example.org\r\nX-Forwarded-For: " + client
                    + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nlog=admin").read();
        }
    }

    /** A login brute force from one client is cut off with 429 and Retry-After; others and other pages go on. */
    @Test
    void aLoginRateLimitAnswers429PerClientAndCountsIt() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     real-ip.from = [ "127.0.0.1" ]
                     rules.limits.login { rate = 1, per = 1m, burst = 2 }
                     rules.request = [ { if { path = [ "/wp-login.php", "/xmlrpc.php" ], method = POST }, limit = login } ]
                     """, origin.port())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, post(ferry, "/wp-login.php", "203.0.113.7").status(), "attempt " + i + " (burst)");
            }
            RawClient.Response refused = post(ferry, "/wp-login.php", "203.0.113.7");
            assertEquals(429, refused.status());
            long retryAfter = Long.parseLong(refused.header("Retry-After"));
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
            assertEquals(429, post(ferry, "/xmlrpc.php", "203.0.113.7").status(), "the same limit, the same client");
            assertEquals(200, post(ferry, "/wp-login.php", "198.51.100.9").status(), "another client");
            assertEquals(200, get(ferry, "/wp-login.php", "X-Forwarded-For: 203.0.113.7").status(), "GET is not limited");
            assertEquals(5, origin.requests().size(), "refused attempts never reach the backend");
            assertTrue(ferry.server().metrics().scrape().contains("ferry_rate_limited_total{limit=\"login\"} 2.0"),
                    "counted: " + ferry.server().metrics().scrape().lines().filter(l -> l.contains("rate_limited")).toList());
        }
    }

    /** nginx's limit_conn: two requests of one client in progress at once, a third answered at once. */
    @Test
    void aConcurrencyLimitRefusesAThirdRequestInProgress() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     rules.limits.php { concurrent = 2 }
                     rules.request = [ { if { path-prefix = "/slow" }, limit = php } ]
                     """, origin.port());
             RawClient one = new RawClient(ferry.port());
             RawClient two = new RawClient(ferry.port())) {
            origin.hold();
            one.send("GET /slow/1 HTTP/1.1\r\nHost: t\r\n\r\n");
            two.send("GET /slow/2 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(origin.awaitHeld(2, 10_000), "both reach the origin and wait there");
            RawClient.Response third = get(ferry, "/slow/3");
            assertEquals(429, third.status());
            assertEquals("1", third.header("Retry-After"));
            origin.releaseHeld();
            assertEquals(200, one.read().status());
            assertEquals(200, two.read().status());
            assertEquals(200, get(ferry, "/slow/4").status(), "the two ended: room again");
            assertEquals(200, get(ferry, "/fast").status(), "other paths are not limited");
        }
    }

    /** nginx's proxy_intercept_errors: a backend's 503 becomes the site's page; its connection stays in use. */
    @Test
    void backendErrorsWithAPageAreAnsweredWithIt() throws Exception {
        Path page = Files.writeString(dir.resolve("503.html"), "<h1>Back in a minute</h1>");
        java.util.function.Function<TestOrigin.Received, TestOrigin.Reply> app = r -> r.uri().equals("/down")
                ? new TestOrigin.Reply(503, Map.of("Content-Type", "text/plain"), "php-fpm says no".getBytes())
                : r.uri().equals("/missing") ? new TestOrigin.Reply(404, Map.of(), "app's own 404".getBytes())
                : TestOrigin.Reply.ok("fine");
        try (TestOrigin origin = TestOrigin.start(app);
             FerryHarness ferry = FerryHarness.proxyTo("""
                     backends.app.retries = 0
                     rules.error-pages { 503 = "%s", intercept-backend = true }
                     """.formatted(page), origin.port());
             RawClient c = new RawClient(ferry.port())) {
            c.send("GET /down HTTP/1.1\r\nHost: t\r\n\r\n");
            RawClient.Response down = c.read();
            assertEquals(503, down.status());
            assertEquals("<h1>Back in a minute</h1>", down.bodyText());
            c.send("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("app's own 404", c.read().bodyText(), "no page for 404: the backend's answer");
            c.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("fine", c.read().bodyText());
            assertEquals(1, origin.connectionsAccepted(), "the intercepted response's connection was reused");
        }
        try (TestOrigin origin = TestOrigin.start(app);
             FerryHarness ferry = FerryHarness.proxyTo("""
                     backends.app.retries = 0
                     rules.error-pages { 503 = "%s" }
                     """.formatted(page), origin.port())) {
            assertEquals("php-fpm says no", get(ferry, "/down").bodyText(), "without intercept-backend: the backend's");
        }
    }

    @Test
    void aRuleCanHoldForOneListenerOnly() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     listeners = [ { name = http, bind = "127.0.0.1", port = 0 }, { name = office, bind = "127.0.0.1", port = 0 } ]
                     rules.request = [ { if { listener = http, path-prefix = "/admin/" }, deny = 403 } ]
                     """, origin.port())) {
            assertEquals(403, get(ferry, "/admin/").status());
            try (RawClient c = new RawClient(ferry.server().port("office"))) {
                assertEquals(200, c.send("GET /admin/ HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
        }
    }
}
