package io.ferry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.HaproxyProcess;
import io.ferry.testing.OriginProcess;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PROXY protocol on a listener (a load balancer names the client) and to backends (Ferry names it),
 * by hand-made headers and with Debian's HAProxy on either side. Clients that should look distinct
 * connect from 127.0.0.2, so the address the origin is told cannot be the proxy's own 127.0.0.1.
 */
@Tag("external")
class ProxyProtocolTest {
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @TempDir
    Path dir;

    private static FerryHarness ferry(int origin, String from) {
        return FerryHarness.start("""
                ferry {
                  listeners = [ { name = http, bind = "127.0.0.1", port = 0, proxy-protocol = true,
                                  proxy-protocol-from = [ "%s" ] } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(from, origin));
    }

    private static String forwardedFor(TestOrigin origin, int i) {
        return origin.requests().get(i).headers().get("X-Forwarded-For");
    }

    @Test
    void aV1HeaderNamesTheClientForEveryRequestOnTheConnection() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "127.0.0.1/32");
             RawClient c = new RawClient(ferry.port())) {
            c.send("PROXY TCP4 198.51.100.9 127.0.0.1 40000 8000\r\nGET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.read().status());
            c.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals("198.51.100.9", forwardedFor(origin, 0));
            assertEquals("198.51.100.9", forwardedFor(origin, 1));
        }
    }

    @Test
    void aV2HeaderNamesAnIpv4OrIpv6Client() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "127.0.0.0/8")) {
            try (RawClient c = new RawClient(ferry.port())) {
                c.send(v2((byte) 0x21, (byte) 0x11, new byte[] {(byte) 198, 51, 100, 10, 127, 0, 0, 1, 0x1f, 0x40, 0x1f, 0x40}));
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status());
            }
            try (RawClient c = new RawClient(ferry.port())) {
                byte[] addresses = new byte[36];
                System.arraycopy(InetAddress.getByName("2001:db8::7").getAddress(), 0, addresses, 0, 16);
                System.arraycopy(InetAddress.getByName("::1").getAddress(), 0, addresses, 16, 16);
                c.send(v2((byte) 0x21, (byte) 0x21, addresses));
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status());
            }
            try (RawClient c = new RawClient(ferry.port())) {
                c.send(v2((byte) 0x20, (byte) 0x00, new byte[0])); // LOCAL: a balancer's own health check
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status());
            }
            assertEquals("198.51.100.10", forwardedFor(origin, 0));
            assertEquals("2001:db8:0:0:0:0:0:7", forwardedFor(origin, 1));
            assertEquals("127.0.0.1", forwardedFor(origin, 2), "LOCAL names nobody: the connection's own address");
        }
    }

    @Test
    void aPeerOutsideProxyProtocolFromIsClosed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "10.0.0.0/8");
             RawClient c = new RawClient(ferry.port())) {
            c.send("PROXY TCP4 198.51.100.9 127.0.0.1 40000 8000\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(c.closedByPeer(), "an untrusted peer may not name a client");
            assertEquals(0, origin.requests().size());
        }
    }

    @Test
    void aConnectionWithoutAValidHeaderIsClosed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "127.0.0.1/32")) {
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(c.closedByPeer());
            }
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("PROXY TCP4 not-an-address 127.0.0.1 1 2\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertTrue(c.closedByPeer());
            }
            assertEquals(0, origin.requests().size(), "nothing is forwarded from a connection without a valid header");
        }
    }

    /** curl sends a v1 header before HTTP/2 with prior knowledge, and before a TLS handshake (ALPN h2). */
    @Test
    void theHeaderComesBeforeHttp2AndBeforeTls() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [
                         { name = http, bind = "127.0.0.1", port = 0, proxy-protocol = true, proxy-protocol-from = [ "127.0.0.0/8" ] }
                         { name = https, bind = "127.0.0.1", port = 0, proxy-protocol = true, proxy-protocol-from = [ "127.0.0.0/8" ], tls { } }
                       ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [ { backend = app } ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(origin.port()))) {
            assertEquals("200 2", curl("--haproxy-protocol", "--http2-prior-knowledge", "http://127.0.0.1:" + ferry.port() + "/h2c"));
            assertEquals("200 2", curl("--haproxy-protocol", "-k", "--http2", "https://127.0.0.1:" + ferry.port("https") + "/h2"));
            assertEquals("200 1.1", curl("--haproxy-protocol", "-k", "--http1.1", "https://127.0.0.1:" + ferry.port("https") + "/h1"));
            assertTrue(curl("-k", "https://127.0.0.1:" + ferry.port("https") + "/no-header").startsWith("000"),
                    "without the header the connection is closed");
            assertEquals(3, origin.requests().size());
        }
    }

    private static String curl(String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("curl", "-s", "-o", "/dev/null",
                "-w", "%{http_code} %{http_version}", "--max-time", "10"));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"send-proxy", "send-proxy-v2"})
    void behindHaproxyTheClientIsTheOneHaproxyNames(String sendProxy) throws Exception {
        int front = OriginProcess.freePort();
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "127.0.0.1/32");
             HaproxyProcess haproxy = HaproxyProcess.start(dir, """
                     frontend fe
                       bind 127.0.0.1:%d
                       default_backend ferry
                     backend ferry
                       server ferry 127.0.0.1:%d %s
                     """.formatted(front, ferry.port(), sendProxy), front);
             RawClient c = new RawClient(from("127.0.0.2", front))) {
            c.send("GET /via-haproxy HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals("127.0.0.2", forwardedFor(origin, 0), "the client, not HAProxy at 127.0.0.1");
        }
    }

    /**
     * Ferry names the client to a server that reads the PROXY header: HAProxy with accept-proxy, which
     * reports the address it was told. Its health check (a header naming nobody) keeps the server up.
     */
    @ParameterizedTest
    @ValueSource(strings = {"v1", "v2"})
    void sendProxyNamesTheClientToABackendThatReadsIt(String version) throws Exception {
        int reader = OriginProcess.freePort();
        try (TestOrigin origin = TestOrigin.echoUri();
             HaproxyProcess haproxy = HaproxyProcess.start(dir, """
                     frontend fe
                       bind 127.0.0.1:%d accept-proxy
                       http-request set-header X-Proxied-Client %%[src]
                       default_backend origin
                     backend origin
                       server origin 127.0.0.1:%d
                     """.formatted(reader, origin.port()), reader);
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app {
                       servers = [ "127.0.0.1:%d" ]
                       send-proxy = %s
                       health-check { path = "/health", interval = 100ms, timeout = 1s, rise = 1, fall = 1 }
                     }
                     routes = [ { backend = app } ]
                     timeouts.shutdown = 1s
                     """).formatted(reader, version))) {
            for (int i = 0; i < 2; i++) {
                try (RawClient c = new RawClient(from("127.0.0.2", ferry.port()))) {
                    c.send("GET /named HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals(200, c.read().status());
                }
            }
            // several health checks, each through HAProxy's accept-proxy to the origin
            Eventually.until("three health checks reach the origin", () -> origin.requests().stream()
                    .filter(r -> r.uri().equals("/health")).count() >= 3);
            var server = ferry.server().backends().get("app").servers().get(0);
            assertTrue(server.isUp(), "the health check's PROXY header is accepted");
            assertTrue(origin.requests().stream()
                    .filter(r -> r.uri().equals("/named"))
                    .allMatch(r -> "127.0.0.2".equals(r.headers().get("X-Proxied-Client"))), origin.requests().toString());
            assertEquals(2, origin.requests().stream().filter(r -> r.uri().equals("/named")).count());
        }
    }

    private static Socket from(String source, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return s;
    }

    private static byte[] v2(byte versionCommand, byte family, byte[] addresses) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(V2_SIGNATURE);
        out.write(versionCommand);
        out.write(family);
        out.write(addresses.length >> 8);
        out.write(addresses.length & 0xff);
        out.writeBytes(addresses);
        return out.toByteArray();
    }
}
