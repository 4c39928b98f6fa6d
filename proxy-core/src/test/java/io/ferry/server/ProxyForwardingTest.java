package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Requests through a real Ferry to real origins over loopback: forwarding, reuse, header rules. */
class ProxyForwardingTest {

    @Test
    void forwardsGetAndPostWithBodies() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok(r.method() + " " + r.uri() + " " + r.bodyText()));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> get = client.send(HttpRequest.newBuilder(ferry.uri("/a/b?x=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals("GET /a/b?x=1 ", get.body());
            HttpResponse<String> post = client.send(HttpRequest.newBuilder(ferry.uri("/form"))
                    .POST(HttpRequest.BodyPublishers.ofString("name=ferry&x=2")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("POST /form name=ferry&x=2", post.body());
            assertEquals("1.1 ferry", post.headers().firstValue("via").orElseThrow());
        }
    }

    @Test
    void routesOnTheNormalisedPathButForwardsThePathAsSent() throws Exception {
        try (TestOrigin admin = TestOrigin.start(r -> TestOrigin.Reply.ok("admin " + r.uri()));
             TestOrigin site = TestOrigin.start(r -> TestOrigin.Reply.ok("site " + r.uri()));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.admin.servers = [ "127.0.0.1:%d" ]
                     backends.site.servers = [ "127.0.0.1:%d" ]
                     routes = [ { path = "/admin", backend = admin }, { backend = site } ]
                     """).formatted(admin.port(), site.port()));
             RawClient client = new RawClient(ferry.port())) {
            for (String path : new String[] {"/static/../admin/x", "/x/%2e%2E/admin/x", "//admin/x", "/./admin/x"}) {
                client.send("GET " + path + "?q=1 HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals("admin " + path + "?q=1", client.read().bodyText(), path);
            }
            client.send("GET /admin/../node/1 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("site /admin/../node/1", client.read().bodyText());
        }
    }

    @Test
    void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("global.io-threads = 1", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            for (int i = 0; i < 20; i++) {
                client.send("GET /r" + i + " HTTP/1.1\r\nHost: test\r\n\r\n");
                assertEquals("hello /r" + i, client.read().bodyText());
            }
            Set<Integer> upstreamPorts = new HashSet<>();
            origin.requests().forEach(r -> upstreamPorts.add(r.remotePort()));
            assertEquals(20, origin.requests().size());
            assertEquals(1, upstreamPorts.size(), "all requests on one upstream connection");
            assertEquals(1, origin.connectionsAccepted());
        }
    }

    @Test
    void separateClientsShareThePooledConnection() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("global.io-threads = 1", origin.port())) {
            for (int i = 0; i < 5; i++) {
                try (RawClient client = new RawClient(ferry.port())) {
                    client.send("GET /c" + i + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
                    RawClient.Response r = client.read();
                    assertEquals(200, r.status());
                    assertEquals("close", r.header("connection"));
                    assertTrue(client.closedByPeer());
                }
            }
            assertEquals(1, origin.connectionsAccepted(), "client Connection: close must not close the upstream");
        }
    }

    @Test
    void headerRulesAndExactAuthorizationAndCookieBytes() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Hop\r\n"
                + "Keep-Alive: timeout=5\r\nX-Hop: secret\r\nX-Kept: yes\r\n\r\nok";
        try (RawOrigin origin = new RawOrigin(RawOrigin.reply(response));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            String basic = "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n";
            String cookie = "Cookie: SSESS0123abc=xyz; has_js=1; _ga=GA1.2.3\r\n";
            client.send("GET /private HTTP/1.1\r\nHost: Site.Example:8000\r\n" + basic + cookie
                    + "Connection: keep-alive, X-Remove-Me\r\nX-Remove-Me: 1\r\nKeep-Alive: 300\r\n"
                    + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n"
                    + "X-Forwarded-For: 203.0.113.7\r\n\r\n");
            RawClient.Response res = client.read();
            assertEquals(200, res.status());
            assertNull(res.header("x-hop"), "header named in upstream Connection is removed");
            assertNull(res.header("keep-alive"));
            assertEquals("yes", res.header("x-kept"));
            assertEquals("1.1 ferry", res.header("via"));

            String head = origin.heads().get(0);
            assertTrue(head.startsWith("GET /private HTTP/1.1\r\n"), head);
            assertTrue(head.contains("\r\n" + basic), "Authorization bytes untouched:\n" + head);
            assertTrue(head.contains("\r\n" + cookie), "Cookie bytes untouched:\n" + head);
            assertTrue(head.contains("\r\nHost: Site.Example:8000\r\n"), "client Host kept:\n" + head);
            String lower = head.toLowerCase();
            assertFalse(lower.contains("x-remove-me"), head);
            assertFalse(lower.contains("keep-alive:"), head);
            assertFalse(lower.contains("proxy-connection"), head);
            assertFalse(lower.contains("\r\nte:"), head);
            assertFalse(lower.contains("upgrade"), head);
            assertFalse(lower.contains("\r\nconnection:"), head);
            assertTrue(lower.contains("\r\nx-forwarded-for: 203.0.113.7, 127.0.0.1\r\n"), head);
            assertTrue(lower.contains("\r\nx-forwarded-proto: http\r\n"), head);
            assertTrue(lower.contains("\r\nx-forwarded-host: site.example:8000\r\n"), head);
            assertTrue(lower.contains("\r\nvia: 1.1 ferry\r\n"), head);
        }
    }

    @Test
    void bearerTokenPassesUntouched() throws Exception {
        try (RawOrigin origin = new RawOrigin(RawOrigin.reply("HTTP/1.1 204 No Content\r\n\r\n"));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            String bearer = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\r\n";
            client.send("DELETE /api/items/7 HTTP/1.1\r\nHost: api\r\n" + bearer + "\r\n");
            assertEquals(204, client.read().status());
            assertTrue(origin.heads().get(0).contains("\r\n" + bearer), origin.heads().get(0));
        }
    }

    @Test
    void hostRewrittenWhenPreserveHostIsOff() throws Exception {
        try (RawOrigin origin = new RawOrigin(RawOrigin.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
             FerryHarness ferry = FerryHarness.proxyTo("backends.app.preserve-host = false", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET / HTTP/1.1\r\nHost: public.example\r\n\r\n");
            assertEquals(200, client.read().status());
            String head = origin.heads().get(0);
            assertTrue(head.toLowerCase().contains("\r\nhost: 127.0.0.1:" + origin.port() + "\r\n"), head);
            assertTrue(head.toLowerCase().contains("x-forwarded-host: public.example"), head);
        }
    }

    @Test
    void pipelinedRequestsAnsweredInOrder() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                batch.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
            }
            batch.append("POST /p5 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            batch.append("HEAD /p6 HTTP/1.1\r\nHost: t\r\n\r\n");
            batch.append("GET /p7 HTTP/1.1\r\nHost: t\r\n\r\n");
            client.send(batch.toString());
            for (int i = 0; i < 5; i++) {
                assertEquals("hello /p" + i, client.read().bodyText());
            }
            assertEquals("hello /p5", client.read().bodyText());
            RawClient.Response head = client.read(true);
            assertEquals(200, head.status());
            assertEquals("9", head.header("content-length"));
            assertEquals("hello /p7", client.read().bodyText());
            assertEquals("abc", origin.requests().get(5).bodyText());
        }
    }

    @Test
    void http10ClientGetsCloseDelimitedOrKeepAliveResponses() throws Exception {
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                return true;
             });
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            try (RawClient client = new RawClient(ferry.port())) {
                client.send("GET /old HTTP/1.0\r\n\r\n");
                RawClient.Response r = client.read();
                assertEquals("hello", r.bodyText());
                assertNull(r.header("transfer-encoding"), "no chunked coding for an HTTP/1.0 client");
                assertTrue(client.closedByPeer());
            }
            String head = origin.heads().get(0);
            assertTrue(head.startsWith("GET /old HTTP/1.1\r\n"), head);
            assertTrue(head.toLowerCase().contains("\r\nhost: 127.0.0.1:" + origin.port() + "\r\n"),
                    "Host added for HTTP/1.0:\n" + head);
            assertTrue(head.toLowerCase().contains("via: 1.0 ferry"), head);
        }
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET /ka1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals("keep-alive", r.header("connection"));
            assertEquals("hello /ka1", r.bodyText());
            client.send("GET /ka2 HTTP/1.0\r\n\r\n");
            assertEquals("hello /ka2", client.read().bodyText());
            assertTrue(client.closedByPeer());
        }
    }

    @Test
    void expectContinueIsAnsweredAndBodyForwarded() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok("got " + r.bodyText()));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            RawClient.Response interim = client.read();
            assertEquals(100, interim.status());
            client.send("12345");
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("got 12345", r.bodyText());
            assertNull(origin.requests().get(0).headers().get("expect"));
        }
    }

    @Test
    void absoluteFormTargetBecomesOriginForm() throws Exception {
        try (RawOrigin origin = new RawOrigin(RawOrigin.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("GET http://www.example.org/path?q=1 HTTP/1.1\r\nHost: ignored\r\n\r\n");
            assertEquals(200, client.read().status());
            String head = origin.heads().get(0);
            assertTrue(head.startsWith("GET /path?q=1 HTTP/1.1\r\n"), head);
            assertTrue(head.toLowerCase().contains("\r\nhost: www.example.org\r\n"), head);
        }
    }

    @Test
    void chunkedRequestAndResponseBodiesStream() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok("len=" + r.body().length));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
             RawClient client = new RawClient(ferry.port())) {
            client.send("POST /chunks HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
            assertEquals("len=7", client.read().bodyText());
            assertEquals("abcdefg", origin.requests().get(0).bodyText());
        }
    }
}
