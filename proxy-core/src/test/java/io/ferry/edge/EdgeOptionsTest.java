package io.ferry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.ferry.testing.TrustAll;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redirects to https, Strict-Transport-Security, and the client address behind trusted proxies (real-ip). */
@Tag("external")
class EdgeOptionsTest {
    @TempDir
    Path dir;

    @Test
    void aPlainListenerRedirectsToHttpsKeepingHostPathAndQuery() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [
                         { name = http, bind = "127.0.0.1", port = 0, redirect-https { code = 308, port = 4430 } }
                         { name = plain301, bind = "127.0.0.1", port = 0, redirect-https { } }
                       ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [ { backend = app } ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(origin.port()));
             RawClient c = new RawClient(ferry.port());
             RawClient d = new RawClient(ferry.port("plain301"))) {
            c.send("GET /a/b?c=1&d=%20 HTTP/1.1\r\nHost: www.example.org:8000\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(308, r.status());
            assertEquals("https://www.example.org:4430/a/b?c=1&d=%20", r.header("Location"));
            c.send("POST /form HTTP/1.1\r\nHost: www.example.org\r\nContent-Length: 3\r\n\r\nx=1");
            r = c.read();
            assertEquals(308, r.status(), "308 keeps the method: the browser posts again to https");
            assertEquals("https://www.example.org:4430/form", r.header("Location"));
            d.send("GET /x HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n");
            r = d.read();
            assertEquals(301, r.status());
            assertEquals("https://[2001:db8::1]/x", r.header("Location"), "port 443 is left out");
            d.send("GET /y HTTP/1.1\r\nHost: evil.example\r\n\tinjected: yes\r\n\r\n");
            assertNotEquals(301, d.read().status(), "an obs-folded Host is refused before any redirect");
            assertEquals(0, origin.requests().size(), "nothing reaches the backend");
        }
    }

    @Test
    void aRouteRedirectsItsPlainRequestsToHttpsWhileTlsOnesReachTheBackend() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [
                         { name = http, bind = "127.0.0.1", port = 0 }
                         { name = https, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ], tls { } }
                       ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [
                         { path = "/admin", backend = app, redirect-https { code = 308 } }
                         { backend = app }
                       ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(origin.port()));
             RawClient plain = new RawClient(ferry.port());
             SSLSocket socket = tlsSocket(ferry.port("https"));
             RawClient tls = new RawClient(socket)) {
            // The generated certificate has an EC key (quick to make at start; an RSA-2048 one took ~0.4 s).
            java.security.cert.X509Certificate cert =
                    (java.security.cert.X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertEquals("EC", cert.getPublicKey().getAlgorithm());
            assertEquals("SHA256withECDSA", cert.getSigAlgName());
            plain.send("POST /admin/save?x=1 HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 2\r\n\r\nok");
            RawClient.Response r = plain.read();
            assertEquals(308, r.status());
            assertEquals("https://shop.example/admin/save?x=1", r.header("Location"));
            plain.send("GET /catalog HTTP/1.1\r\nHost: shop.example\r\n\r\n");
            assertEquals(200, plain.read().status(), "other routes stay on plain HTTP");
            tls.send("GET /admin/page HTTP/1.1\r\nHost: shop.example\r\n\r\n");
            assertEquals(200, tls.read().status(), "over TLS the route goes to its backend");
            assertEquals(List.of("/catalog", "/admin/page"), origin.requests().stream().map(TestOrigin.Received::uri).toList());
        }
    }

    @Test
    void tlsResponsesCarryStrictTransportSecurityUnlessTheOriginSetsIt() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> r.uri().equals("/own")
                ? new TestOrigin.Reply(200, Map.of("Strict-Transport-Security", "max-age=5"), "own".getBytes())
                : TestOrigin.Reply.ok("hello"));
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [
                         { name = http, bind = "127.0.0.1", port = 0 }
                         { name = https, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ],
                           tls { hsts = "max-age=31536000; includeSubDomains" } }
                       ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [ { host = "app", backend = app } ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(origin.port()))) {
            try (RawClient tls = new RawClient(tlsSocket(ferry.port("https")))) {
                tls.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
                assertEquals("max-age=31536000; includeSubDomains", tls.read().header("Strict-Transport-Security"));
                tls.send("GET /own HTTP/1.1\r\nHost: app\r\n\r\n");
                assertEquals(List.of("max-age=5"), tls.read().headerValues("Strict-Transport-Security"));
                tls.send("GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n");
                RawClient.Response local = tls.read();
                assertEquals(404, local.status());
                assertEquals("max-age=31536000; includeSubDomains", local.header("Strict-Transport-Security"),
                        "Ferry's own answers carry it too");
            }
            try (RawClient plain = new RawClient(ferry.port())) {
                plain.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
                assertNull(plain.read().header("Strict-Transport-Security"), "never on plain HTTP (RFC 6797 §7.2)");
            }
        }
    }

    private static SSLSocket tlsSocket(int port) throws Exception {
        SSLSocket s = (SSLSocket) TrustAll.context().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        s.startHandshake();
        return s;
    }

    private static FerryHarness realIp(int origin, String from, Path log) {
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.app.servers = [ "127.0.0.1:%d" ]
                routes = [ { backend = app } ]
                real-ip { from = %s }
                access-log { enabled = true, path = "%s" }
                timeouts.shutdown = 1s
                """).formatted(origin, from, log));
    }

    private static String clientLogged(FerryHarness ferry, Path log, String forwardedFor) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\n" + (forwardedFor == null ? "" : "X-Forwarded-For: " + forwardedFor + "\r\n")
                    + "\r\n");
            assertEquals(200, c.read().status());
        }
        Eventually.until("the access log line", () -> Files.exists(log) && !Files.readAllLines(log).isEmpty());
        List<String> lines = Files.readAllLines(log);
        Files.writeString(log, "");
        return lines.get(0).substring(0, lines.get(0).indexOf(' '));
    }

    @Test
    void realIpTakesTheNearestUntrustedHopFromATrustedPeerOnly() throws Exception {
        Path log = dir.resolve("access.log");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = realIp(origin.port(), "[ \"127.0.0.0/8\", \"10.0.0.0/8\" ]", log)) {
            assertEquals("203.0.113.7", clientLogged(ferry, log, "203.0.113.7, 10.1.2.3"), "trusted hops skipped");
            assertEquals("198.51.100.1", clientLogged(ferry, log, "203.0.113.7, 198.51.100.1, 10.1.2.3"),
                    "the nearest untrusted hop: what is left of it may be forged");
            assertEquals("10.9.9.9", clientLogged(ferry, log, "10.9.9.9, 10.1.2.3"), "all trusted: the farthest");
            assertEquals("127.0.0.1", clientLogged(ferry, log, "203.0.113.7, junk"), "not an address: the peer");
            assertEquals("127.0.0.1", clientLogged(ferry, log, null));
            assertEquals("203.0.113.7, 10.1.2.3, 127.0.0.1", origin.requests().get(0).headers().get("X-Forwarded-For"),
                    "X-Forwarded-For keeps the chain: the peer is appended");
        }
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = realIp(origin.port(), "[ \"10.0.0.0/8\" ]", log)) {
            assertEquals("127.0.0.1", clientLogged(ferry, log, "203.0.113.7"), "an untrusted peer names no one");
        }
    }

    @Test
    void sourceHashBalancesOnTheRealClient() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app { servers = [ "127.0.0.1:%d", "127.0.0.1:%d" ], balance = source-hash }
                     routes = [ { backend = app } ]
                     real-ip.from = [ "127.0.0.1" ]
                     timeouts.shutdown = 1s
                     """).formatted(a.port(), b.port()));
             RawClient c = new RawClient(ferry.port())) {
            java.util.Map<String, String> serverByClient = new java.util.HashMap<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 1; i <= 20; i++) {
                    String client = "203.0.113." + i;
                    c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: " + client + "\r\n\r\n");
                    String server = c.read().bodyText();
                    String before = serverByClient.putIfAbsent(client, server);
                    assertTrue(before == null || before.equals(server), client + " stays on one server");
                }
            }
            assertEquals(java.util.Set.of("a", "b"), new java.util.HashSet<>(serverByClient.values()),
                    "clients behind the one trusted proxy spread over both servers");
        }
    }

    @Test
    void realIpIsTheClientForPurgeAclsAndForPhp() throws Exception {
        Path root = Files.createDirectories(dir.resolve("site"));
        Files.writeString(root.resolve("addr.php"), "<?php echo $_SERVER['REMOTE_ADDR'];");
        try (TestOrigin origin = TestOrigin.echoUri();
             PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app.servers = [ "127.0.0.1:%d" ]
                     backends.php { type = fastcgi, servers = [ "%s" ], fastcgi.document-root = "%s" }
                     routes = [ { path = "/addr.php", backend = php }, { backend = app } ]
                     real-ip { from = [ "127.0.0.1" ] }
                     cache { enabled = true, purge.allow = [ "203.0.113.7/32" ] }
                     timeouts.shutdown = 1s
                     """).formatted(origin.port(), fpm.serverAddress(), root));
             RawClient c = new RawClient(ferry.port())) {
            c.send("GET /addr.php HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            assertEquals("203.0.113.7", c.read().bodyText(), "REMOTE_ADDR, as Apache's mod_remoteip would set it");
            c.send("PURGE /page HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(403, c.read().status(), "127.0.0.1 itself may not purge");
            c.send("PURGE /page HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            int status = c.read().status();
            assertTrue(status == 200 || status == 404, "the client behind the trusted proxy may: " + status);
        }
    }
}
