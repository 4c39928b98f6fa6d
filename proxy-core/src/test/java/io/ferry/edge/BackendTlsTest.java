package io.ferry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * TLS from Ferry to HTTP/1.1 servers: a Netty origin with a certificate for "localhost" issued by
 * itself, trusted through tls.ca. Real handshakes: the name checked, the chain checked, client
 * certificates, pooling and health checks over TLS.
 */
@Tag("external")
class BackendTlsTest {
    private static SelfSignedCertificate server;
    private static SelfSignedCertificate client;

    @BeforeAll
    static void certificates() throws Exception {
        server = new SelfSignedCertificate("localhost");
        client = new SelfSignedCertificate("ferry-client");
    }

    @AfterAll
    static void cleanUp() {
        server.delete();
        client.delete();
    }

    private static FerryHarness ferry(int origin, String tls) {
        return ferry(origin, tls, true);
    }

    /** @param check with an active health check every 100 ms (down after one failure) */
    private static FerryHarness ferry(int origin, String tls, boolean check) {
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.app {
                  servers = [ "127.0.0.1:%d" ]
                  retries = 0
                  tls { enabled = true, %s }
                  %s
                }
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                """).formatted(origin, tls, check
                ? "health-check { path = \"/health\", interval = 100ms, timeout = 1s, rise = 1, fall = 1 }" : ""));
    }

    private static int get(FerryHarness ferry, RawClient c, String path) throws Exception {
        c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        return c.read().status();
    }

    /** Up after three checks ran (fall = 1: a single failed one takes the server down, and is counted). */
    private static boolean upAfterChecks(FerryHarness ferry) {
        var server = ferry.firstServer("app");
        Eventually.until("three health checks over TLS", () -> server.health().checksRun() >= 3);
        return server.isUp() && server.health().checksFailed() == 0;
    }

    @Test
    void aTrustedServerWithTheRightNameIsPooledAndHealthChecked() throws Exception {
        try (TestOrigin origin = TestOrigin.startTls(SslContextBuilder.forServer(server.key(), server.cert()).build());
             FerryHarness ferry = ferry(origin.port(), "ca = \"" + server.certificate() + "\", server-name = localhost");
             RawClient c = new RawClient(ferry.port())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, get(ferry, c, "/page" + i));
            }
            assertEquals(3, origin.requests().stream().filter(r -> r.uri().startsWith("/page")).count());
            assertTrue(upAfterChecks(ferry), "health checks over TLS pass");
            long requestConnections = origin.connectionsAccepted();
            for (int i = 0; i < 3; i++) {
                assertEquals(200, get(ferry, c, "/again" + i));
            }
            // Health checks open their own connections; requests reuse the pooled one.
            assertTrue(origin.connectionsAccepted() - requestConnections <= 2, "requests ride a pooled TLS connection");
        }
    }

    @Test
    void aCertificateForAnotherNameOrFromAnUntrustedCaGets502() throws Exception {
        try (TestOrigin origin = TestOrigin.startTls(SslContextBuilder.forServer(server.key(), server.cert()).build())) {
            // Without health checks: a check failing first would turn the 502 into a 503 (no server up).
            try (FerryHarness ferry = ferry(origin.port(), "ca = \"" + server.certificate() + "\"", false);
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(502, get(ferry, c, "/by-address"), "the certificate names localhost, not 127.0.0.1");
            }
            try (FerryHarness ferry = ferry(origin.port(), "ca = \"" + server.certificate() + "\", server-name = other.example", false);
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(502, get(ferry, c, "/other-name"));
            }
            try (FerryHarness ferry = ferry(origin.port(), "ca = \"" + server.certificate() + "\", server-name = other.example")) {
                Eventually.until("the health check fails the same way",
                        () -> !ferry.server().backends().get("app").servers().get(0).isUp());
            }
            try (FerryHarness ferry = ferry(origin.port(), "server-name = localhost", false);
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(502, get(ferry, c, "/untrusted"), "self-signed: not in the JVM's trusted roots");
            }
            try (FerryHarness ferry = ferry(origin.port(), "verify = false", false);
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(200, get(ferry, c, "/unverified"), "verify = false accepts it");
            }
            assertEquals(1, origin.requests().stream().filter(r -> !r.uri().equals("/health")).count(),
                    "only the unverified request reached the server");
        }
    }

    /**
     * openssl s_server -www answers each request on a new connection with a page saying whether the TLS
     * session was new or resumed: Ferry's reconnects resume.
     */
    @Test
    void reconnectsResumeTheTlsSession() throws Exception {
        int port = io.ferry.testing.OriginProcess.freePort();
        Process sServer = new ProcessBuilder("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-www",
                "-cert", server.certificate().toString(), "-key", server.privateKey().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            waitForPort(port);
            try (FerryHarness ferry = ferry(port, "ca = \"" + server.certificate() + "\", server-name = localhost", false)) {
                List<String> sessions = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    try (RawClient c = new RawClient(ferry.port())) {
                        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                        RawClient.Response r = c.read();
                        assertEquals(200, r.status());
                        sessions.add(r.bodyText().contains("Reused, ") ? "reused" : r.bodyText().contains("New, ") ? "new" : "?");
                    }
                }
                assertEquals(List.of("new", "reused", "reused"), sessions);
            }
        } finally {
            sServer.destroy();
            sServer.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void waitForPort(int port) throws Exception {
        Eventually.until("openssl s_server listening on " + port, () -> {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return true;
            } catch (java.io.IOException notYet) {
                return false;
            }
        });
    }

    @Test
    void aServerThatAsksForAClientCertificateGetsTheConfiguredOne() throws Exception {
        SslContext mutual = SslContextBuilder.forServer(server.key(), server.cert())
                .trustManager(client.cert()).clientAuth(ClientAuth.REQUIRE).build();
        try (TestOrigin origin = TestOrigin.startTls(mutual)) {
            String trusted = "ca = \"" + server.certificate() + "\", server-name = localhost";
            try (FerryHarness ferry = ferry(origin.port(), trusted + ", client-cert = \"" + client.certificate()
                    + "\", client-key = \"" + client.privateKey() + "\"");
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(200, get(ferry, c, "/with-cert"));
            }
            try (FerryHarness ferry = ferry(origin.port(), trusted, false);
                 RawClient c = new RawClient(ferry.port())) {
                assertEquals(502, get(ferry, c, "/without-cert"));
            }
        }
    }
}
