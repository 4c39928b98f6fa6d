package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawH2Client;
import io.ferry.testing.TestOrigin;
import io.ferry.testing.TrustAll;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every feature per HTTP/2 stream as on HTTP/1.1: the cache (hit, coalescing, purge), retries past a
 * dead server, queueing behind max-conns, FastCGI to a real php-fpm and static files from its document
 * root, limits answered on the stream, the access log, Via and the metrics by protocol.
 */
@Tag("external")
class FeaturesOverHttp2Test {
    @TempDir
    static Path dir;
    static TestOrigin origin;
    static PhpFpm fpm;
    static FerryHarness ferry;
    static Path accessLog;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        origin = TestOrigin.start(r -> r.uri().startsWith("/cached")
                ? new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=60"), ("cached " + r.uri()).getBytes())
                : TestOrigin.Reply.ok(r.method() + " " + r.uri() + " via=" + r.headers().get("via")));
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Path root = dir.resolve("site");
        PhpFpm.copyTestSite(root);
        fpm = PhpFpm.onTcp(dir, 2);
        accessLog = dir.resolve("access.log");
        ferry = FerryHarness.start("""
                ferry {
                  listeners = [
                    { name = http, bind = "127.0.0.1", port = 0 }
                    { name = https, bind = "127.0.0.1", port = 0, tls { } }
                  ]
                  limits { max-request-line = 1k, max-headers = 20, max-body-size = 1k }
                  backends.app {
                    servers = [ "127.0.0.1:%d", "127.0.0.1:%d" ]
                    max-conns = 2
                    retries = 2
                    passive-health.enabled = false
                  }
                  backends.php {
                    type = fastcgi
                    servers = [ "%s" ]
                    max-conns = 2
                    fastcgi { document-root = "%s", try-files = [ "$uri", "/index.php?$args" ] }
                  }
                  routes = [ { host = "php.test", backend = php }, { backend = app, cache = true } ]
                  cache.enabled = true
                  access-log { enabled = true, path = "%s" }
                  timeouts.shutdown = 1s
                }
                """.formatted(dead, origin.port(), fpm.serverAddress(), root, accessLog));
        client = HttpClient.newBuilder().sslContext(TrustAll.context()).version(HttpClient.Version.HTTP_2).build();
    }

    @AfterAll
    static void stop() throws Exception {
        ferry.close();
        origin.close();
        fpm.close();
    }

    private static HttpRequest.Builder request(String host, String path) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + ferry.port("https") + path))
                .header("x-host", host);
    }

    private static HttpResponse<String> send(HttpRequest req) throws Exception {
        HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, res.version());
        return res;
    }

    /** FastCGI over cleartext h2 with prior knowledge, for its :authority (php.test) resolves nowhere. */
    private static RawH2Client.Response php(String method, String path, String form) throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port("http"))) {
            List<String[]> h = RawH2Client.get(path);
            h.set(0, new String[] {":method", method});
            h.set(3, new String[] {":authority", "php.test"});
            if (form == null) {
                return c.response(c.request(h, true), 10);
            }
            h.add(new String[] {"content-type", "application/x-www-form-urlencoded"});
            h.add(new String[] {"content-length", String.valueOf(form.length())});
            int id = c.request(h, false);
            c.data(id, form.getBytes(), true);
            return c.response(id, 10);
        }
    }

    @Test
    void cacheHitsCoalescingAndPurgePerStream() throws Exception {
        origin.delayReplies(300);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(client.sendAsync(request("", "/cached/page").build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertEquals("cached /cached/page", f.get().body());
        }
        origin.delayReplies(0);
        assertEquals(1, origin.requests().stream().filter(r -> r.uri().equals("/cached/page")).count(),
                "eight concurrent streams, one fetch");
        assertEquals("HIT", send(request("", "/cached/page").build()).headers().firstValue("x-cache").orElse(""));
        HttpResponse<String> purge = send(request("", "/cached/page")
                .method("PURGE", HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, purge.statusCode(), purge.body());
        assertEquals("MISS", send(request("", "/cached/page").build()).headers().firstValue("x-cache").orElse(""));
    }

    @Test
    void retriesPastADeadServerAndQueuesBehindMaxConns() throws Exception {
        origin.delayReplies(50);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(client.sendAsync(request("", "/queued/" + i).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < all.size(); i++) {
            HttpResponse<String> r = all.get(i).get();
            assertEquals(200, r.statusCode(), "stream " + i + " retried past the dead server or queued: " + r.body());
            assertTrue(r.body().startsWith("GET /queued/" + i + " "), r.body());
        }
        origin.delayReplies(0);
    }

    @Test
    void viaNamesTheHttp2Hop() throws Exception {
        assertTrue(send(request("", "/via").build()).body().endsWith("via=2 ferry"));
    }

    @Test
    void fastCgiAndStaticFilesOverH2() throws Exception {
        RawH2Client.Response info = php("GET", "/info.php?x=1", null);
        assertEquals(200, info.status());
        assertTrue(info.bodyText().contains("SERVER_PROTOCOL=HTTP/2.0"), info.bodyText());
        assertTrue(info.bodyText().contains("GET.x=1"), info.bodyText());
        RawH2Client.Response post = php("POST", "/info.php", "a=b");
        assertTrue(post.bodyText().contains("POST.a=b"), post.bodyText());
        RawH2Client.Response file = php("GET", "/hello.txt", null);
        assertEquals(200, file.status());
        assertEquals(Files.readString(Path.of(FeaturesOverHttp2Test.class.getResource("/php-site/hello.txt").toURI())),
                file.bodyText(), "a static file goes out in DATA frames");
    }

    @Test
    void limitsAreAnsweredOnTheStreamAndNothingIsForwarded() throws Exception {
        int before = origin.requests().size();
        try (RawH2Client c = RawH2Client.connect(ferry.port("http"))) {
            assertEquals(414, c.response(c.request(RawH2Client.get("/" + "a".repeat(2000)), true), 5).status());
            List<String[]> many = RawH2Client.get("/many");
            for (int i = 0; i < 30; i++) {
                many.add(new String[] {"x-h" + i, "v"});
            }
            assertEquals(431, c.response(c.request(many, true), 5).status());
            List<String[]> post = RawH2Client.get("/declared");
            post.set(0, new String[] {":method", "POST"});
            post.add(new String[] {"content-length", "5000"});
            int declared = c.request(post, false);
            assertEquals(413, c.response(declared, 5).status(), "a declared length over max-body-size");
            List<String[]> streamed = RawH2Client.get("/streamed");
            streamed.set(0, new String[] {":method", "POST"});
            int id = c.request(streamed, false);
            c.data(id, new byte[800], false);
            c.data(id, new byte[800], true);
            assertEquals(413, c.response(id, 5).status(), "a streamed body over max-body-size");
            int after = c.request(RawH2Client.get("/still-open"), true);
            assertEquals(200, c.response(after, 5).status(), "the connection goes on");
        }
        // /still-open came after the refused ones on the same connection and is answered: a forwarded one would
        // have had its head start (the check ends on an event, not a sleep).
        assertTrue(origin.requests().stream().noneMatch(r -> r.uri().startsWith("/a") || r.uri().equals("/many")
                || r.uri().equals("/declared")), "none of the refused requests was forwarded");
        assertTrue(origin.requests().size() > before);
    }

    @Test
    void accessLogAndMetricsNameTheProtocol() throws Exception {
        send(request("", "/logged").build());
        Eventually.until("the access log line", () -> Files.readString(accessLog).contains("/logged"));
        String log = Files.readString(accessLog);
        assertTrue(log.contains("\"GET /logged HTTP/2.0\" 200"), log);
        String metrics = ferry.server().metrics().scrape();
        assertTrue(metrics.contains("ferry_requests_by_protocol_total{listener=\"https\",protocol=\"HTTP/2.0\"}"),
                metrics);
    }
}
