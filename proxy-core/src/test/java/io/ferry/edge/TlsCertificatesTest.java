package io.ferry.edge;

import static io.ferry.testing.OpenSslClient.sClient;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.OpenSslClient;
import io.ferry.testing.RawClient;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.TestOrigin;
import io.ferry.testing.TrustAll;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS listener's certificates, ciphers, session tickets and client certificates, checked with real
 * handshakes from the JDK and from openssl s_client. Certificates are made with the openssl tool.
 */
@Tag("external")
class TlsCertificatesTest {
    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        req("a", "rsa:2048", "/CN=a.example", "DNS:a.example");
        req("b", "ec", "/CN=b.example", "DNS:b.example,DNS:*.wild.example");
        req("c-rsa", "rsa:2048", "/CN=c.example", "DNS:c.example");
        req("c-ec", "ec", "/CN=c.example", "DNS:c.example");
        req("d", "rsa:2048", "/CN=d.example", "DNS:d.example");
        req("client", "ec", "/CN=alice/O=Example Clients", "DNS:alice.example");
        Files.write(certs.resolve("ticket.key"), new java.security.SecureRandom().generateSeed(48));
    }

    private static void req(String name, String key, String subject, String san) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", key));
        if (key.equals("ec")) {
            cmd.addAll(List.of("-pkeyopt", "ec_paramgen_curve:prime256v1"));
        }
        cmd.addAll(List.of("-nodes", "-days", "2", "-subj", subject, "-addext", "subjectAltName=" + san,
                "-keyout", certs.resolve(name + ".key").toString(), "-out", certs.resolve(name + ".crt").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    /**
     * One certificate's key is read with the JDK's parsers when it is PKCS#8 (what openssl writes today);
     * OpenSSL's traditional forms (BEGIN EC PRIVATE KEY, BEGIN RSA PRIVATE KEY, as older tools wrote them) go
     * to Netty's reader and serve alike.
     */
    @Test
    void traditionalPemKeysServeAsPkcs8OnesDo() throws Exception {
        openssl("ec", "-in", pem("b.key"), "-out", pem("b-traditional.key"));
        openssl("rsa", "-traditional", "-in", pem("a.key"), "-out", pem("a-traditional.key"));
        try (TestOrigin origin = TestOrigin.echoUri()) {
            for (String[] pair : new String[][] {{"b", "b-traditional.key", "EC PRIVATE KEY"}, {"b", "b.key", "PRIVATE KEY"},
                    {"a", "a-traditional.key", "RSA PRIVATE KEY"}, {"a", "a.key", "PRIVATE KEY"}}) {
                assertTrue(Files.readString(certs.resolve(pair[1])).startsWith("-----BEGIN " + pair[2] + "-----"), pair[1]);
                try (FerryHarness ferry = ferry(origin.port(), "cert = \"" + pem(pair[0] + ".crt") + "\", key = \""
                        + pem(pair[1]) + "\"")) {
                    assertEquals("CN=" + pair[0] + ".example", jdkSubject(ferry.port("https"), pair[0] + ".example"), pair[1]);
                }
            }
        }
    }

    private static String pem(String name) {
        return certs.resolve(name).toString();
    }

    private static FerryHarness ferry(int origin, String tls) {
        return FerryHarness.start("""
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ], tls { %s } } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(tls, origin));
    }

    private static String subject(String sClientOutput) {
        for (String line : sClientOutput.split("\n")) {
            if (line.startsWith("subject=")) {
                return line.substring("subject=".length()).trim();
            }
        }
        return null;
    }

    private static String jdkSubject(int port, String sni) throws Exception {
        try (SSLSocket s = (SSLSocket) TrustAll.context().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(params);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private static final String CERTIFICATES = """
            cert = "%s", key = "%s"
            certificates = [
              { cert = "%s", key = "%s" }
              { cert = "%s", key = "%s" }
              { cert = "%s", key = "%s" }
              { cert = "%s", key = "%s", names = [ "named.example" ] }
            ]
            """;

    private String certificatesConfig() {
        return CERTIFICATES.formatted(pem("a.crt"), pem("a.key"), pem("b.crt"), pem("b.key"), pem("c-rsa.crt"),
                pem("c-rsa.key"), pem("c-ec.crt"), pem("c-ec.key"), pem("d.crt"), pem("d.key"));
    }

    @Test
    void sniChoosesTheCertificateByExactNameWildcardOrExplicitNamesWithTheFirstAsDefault() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), certificatesConfig())) {
            int port = ferry.port("https");
            assertEquals("CN = a.example", subject(sClient(port, null, "-servername", "a.example")));
            assertEquals("CN = b.example", subject(sClient(port, null, "-servername", "b.example")));
            assertEquals("CN = b.example", subject(sClient(port, null, "-servername", "x.wild.example")), "wildcard SAN");
            assertEquals("CN = d.example", subject(sClient(port, null, "-servername", "named.example")), "names key");
            assertEquals("CN = a.example", subject(sClient(port, null, "-servername", "d.example")),
                    "names replaces the certificate's own: d.example falls to the default");
            assertEquals("CN = a.example", subject(sClient(port, null, "-noservername")), "no SNI: the default");
            assertEquals("CN = a.example", subject(sClient(port, null, "-servername", "unknown.example")));
            assertEquals("CN=b.example", jdkSubject(port, "b.example"));
            assertEquals("CN=a.example", jdkSubject(port, "a.example"));
        }
    }

    @Test
    void aReloadSwapsCertificatesForNewConnectionsWhileOpenOnesGoOn() throws Exception {
        String config = """
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = %d, protocols = [ "http/1.1" ],
                                  tls { cert = "%s", key = "%s" } } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """;
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config.formatted(0, pem("a.crt"), pem("a.key"), origin.port()))) {
            int port = ferry.port("https");
            try (SSLSocket open = (SSLSocket) TrustAll.context().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), port);
                 RawClient c = new RawClient(open)) {
                c.send("GET /before HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status());
                // The reload keeps the listener as bound (same port), with another certificate.
                ferry.server().reload(ConfigLoader.parse(config.formatted(0, pem("b.crt"), pem("b.key"), origin.port()),
                        Path.of(".")));
                assertEquals("CN = b.example", subject(sClient(port, null, "-servername", "a.example")),
                        "new connections get the new certificate");
                c.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status(), "the open connection was not dropped");
                assertEquals("CN=a.example", ((X509Certificate) open.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName());
            }
        }
    }

    @Test
    void rsaAndEcdsaCertificatesForTheSameNameServeEachClientWhatItSupports() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), certificatesConfig())) {
            int port = ferry.port("https");
            String ec = sClient(port, null, "-servername", "c.example", "-sigalgs", "ECDSA+SHA256");
            assertTrue(ec.contains("Server public key is 256 bit"), ec);
            assertEquals("CN = c.example", subject(ec));
            String rsa = sClient(port, null, "-servername", "c.example", "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256");
            assertTrue(rsa.contains("Server public key is 2048 bit"), rsa);
        }
    }

    @Test
    void tls12CiphersAreTheConfiguredOnes() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ], ciphers = [ ECDHE-RSA-AES256-GCM-SHA384 ]"
                     .formatted(pem("a.crt"), pem("a.key")))) {
            int port = ferry.port("https");
            assertTrue(sClient(port, null, "-tls1_2").contains("ECDHE-RSA-AES256-GCM-SHA384"));
            String refused = sClient(port, null, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
            assertFalse(refused.contains("Cipher is ECDHE-RSA-AES128-GCM-SHA256"), refused);
        }
    }

    @Test
    void sessionTicketsFromASharedKeyFileResumeOnAnotherServerOfTheFleet() throws Exception {
        String tls = "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ], session-tickets.key-file = \"%s\""
                .formatted(pem("a.crt"), pem("a.key"), pem("ticket.key"));
        Path session = dir.resolve("session.pem");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness first = ferry(origin.port(), tls);
             FerryHarness second = ferry(origin.port(), tls);
             FerryHarness stranger = ferry(origin.port(), "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ]"
                     .formatted(pem("a.crt"), pem("a.key")))) {
            String fresh = sClient(first.port("https"), null, "-sess_out", session.toString());
            assertTrue(fresh.contains("New, TLSv1.2"), fresh);
            String resumed = sClient(second.port("https"), null, "-sess_in", session.toString());
            assertTrue(resumed.contains("Reused, TLSv1.2"), "the other server decrypts the ticket: " + resumed);
            String other = sClient(stranger.port("https"), null, "-sess_in", session.toString());
            assertTrue(other.contains("New, TLSv1.2"), "a server with its own keys cannot: " + other);
        }
    }

    @Test
    void rotatedTicketKeysExpireOldSessions() throws Exception {
        Path session = dir.resolve("rotated.pem");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ], session-tickets.rotate = 1s"
                     .formatted(pem("a.crt"), pem("a.key")))) {
            int port = ferry.port("https");
            assertTrue(sClient(port, null, "-sess_out", session.toString()).contains("New, TLSv1.2"));
            assertTrue(sClient(port, null, "-sess_in", session.toString()).contains("Reused, TLSv1.2"), "within the period");
            // A key decrypts for three periods (it and the two after it): then the session starts anew.
            Eventually.until("the ticket's key rotated out", () -> sClient(port, null, "-sess_in", session.toString())
                    .contains("New, TLSv1.2"));
        }
    }

    /** The key itself changes every period (not only old tickets expiring, which their lifetime also does). */
    @Test
    void ticketKeysRotate() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ], session-tickets.rotate = 1s"
                     .formatted(pem("a.crt"), pem("a.key")))) {
            assertRotates(ferry.port("https"));
        }
    }

    /** A TLS listener a reload adds rotates its keys too; so does one a reload removes and a later one brings back. */
    @Test
    void ticketKeysOfListenersAReloadAddsRotate() throws Exception {
        String config = """
                ferry {
                  listeners = [ { name = http, bind = "127.0.0.1", port = 0 } %s ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """;
        String https = (", { name = https, bind = \"127.0.0.1\", port = 0, protocols = [ \"http/1.1\" ], tls { cert = \"%s\", "
                + "key = \"%s\", protocols = [ TLSv1.2 ], session-tickets.rotate = 1s } }").formatted(pem("a.crt"), pem("a.key"));
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config.formatted("", origin.port()))) {
            ferry.server().reload(ConfigLoader.parse(config.formatted(https, origin.port()), Path.of(".")));
            assertRotates(ferry.port("https"));
            ferry.server().reload(ConfigLoader.parse(config.formatted("", origin.port()), Path.of(".")));
            ferry.server().reload(ConfigLoader.parse(config.formatted(https, origin.port()), Path.of(".")));
            assertRotates(ferry.port("https"));
        }
    }

    /** A reload that shortens {@code session-tickets.rotate} takes effect (the keys were made for an hour). */
    @Test
    void aReloadChangesTheRotationPeriod() throws Exception {
        String tls = "cert = \"%s\", key = \"%s\", protocols = [ TLSv1.2 ], session-tickets.rotate = %s";
        String config = """
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ], tls { %s } } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """;
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config.formatted(tls.formatted(pem("a.crt"), pem("a.key"), "1h"),
                     origin.port()))) {
            ferry.server().reload(ConfigLoader.parse(config.formatted(tls.formatted(pem("a.crt"), pem("a.key"), "1s"),
                    origin.port()), Path.of(".")));
            assertRotates(ferry.port("https"));
        }
    }

    /** A fresh ticket's key name changes: the listener encrypts with a new key. */
    private void assertRotates(int port) throws Exception {
        String first = ticketKeyName(port);
        Eventually.until("a ticket encrypted under a new key", () -> !ticketKeyName(port).equals(first));
    }

    private String ticketKeyName(int port) throws Exception {
        return OpenSslClient.ticketKeyName(port, dir);
    }

    @Test
    void aVerifiedClientCertificateReachesBackendsAndPhpAsApacheNamesIt() throws Exception {
        Path root = Files.createDirectories(dir.resolve("site"));
        Files.writeString(root.resolve("who.php"),
                "<?php echo ($_SERVER['SSL_CLIENT_VERIFY'] ?? '-') . '|' . ($_SERVER['SSL_CLIENT_S_DN'] ?? '-');");
        try (TestOrigin origin = TestOrigin.echoUri();
             PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [ { name = https, bind = "127.0.0.1", port = 0, protocols = [ "http/1.1" ],
                         tls { cert = "%s", key = "%s", verify = optional, client-ca = "%s" } } ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       backends.php { type = fastcgi, servers = [ "%s" ], fastcgi.document-root = "%s" }
                       routes = [ { path = "/who.php", backend = php }, { backend = app } ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(pem("a.crt"), pem("a.key"), pem("client.crt"), origin.port(), fpm.serverAddress(), root))) {
            int port = ferry.port("https");
            String withCert = "-cert " + pem("client.crt") + " -key " + pem("client.key");
            String spoof = "X-Client-Cert-Subject: CN=admin\r\n";
            String out = sClient(port, "GET /app HTTP/1.1\r\nHost: t\r\n" + spoof + "Connection: close\r\n\r\n",
                    withCert.split(" "));
            assertTrue(out.contains("HTTP/1.1 200"), out);
            String php = sClient(port, "GET /who.php HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", withCert.split(" "));
            assertTrue(php.contains("SUCCESS|O=Example Clients,CN=alice"), php);
            String anonymous = sClient(port, "GET /anonymous HTTP/1.1\r\nHost: t\r\n" + spoof + "Connection: close\r\n\r\n");
            assertTrue(anonymous.contains("HTTP/1.1 200"), "optional: no certificate still passes: " + anonymous);
            String anonymousPhp = sClient(port, "GET /who.php HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertTrue(anonymousPhp.contains("NONE|-"), anonymousPhp);
            var app = origin.requests().stream().filter(r -> r.uri().equals("/app")).findFirst().orElseThrow();
            assertEquals("O=Example Clients,CN=alice", app.headers().get("X-Client-Cert-Subject"));
            var anon = origin.requests().stream().filter(r -> r.uri().equals("/anonymous")).findFirst().orElseThrow();
            assertNull(anon.headers().get("X-Client-Cert-Subject"), "a client cannot name itself");
        }
    }

    /** Over HTTP/2 (curl, ALPN h2) the verified subject reaches the backend the same way. */
    @Test
    void clientCertificatesOverHttp2() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [ { name = https, bind = "127.0.0.1", port = 0,
                         tls { cert = "%s", key = "%s", verify = optional, client-ca = "%s" } } ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [ { backend = app } ]
                       timeouts.shutdown = 1s
                     }
                     """.formatted(pem("a.crt"), pem("a.key"), pem("client.crt"), origin.port()))) {
            Process p = new ProcessBuilder("curl", "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                    "--cert", pem("client.crt"), "--key", pem("client.key"), "-H", "X-Client-Cert-Subject: CN=admin",
                    "https://127.0.0.1:" + ferry.port("https") + "/h2-cert").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            assertEquals("200 2", out);
            assertEquals("O=Example Clients,CN=alice", origin.requests().get(0).headers().get("X-Client-Cert-Subject"));
        }
    }

    @Test
    void requiredClientCertificatesRefuseTheHandshakeWithoutOne() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = ferry(origin.port(), "cert = \"%s\", key = \"%s\", verify = required, client-ca = \"%s\""
                     .formatted(pem("a.crt"), pem("a.key"), pem("client.crt")))) {
            int port = ferry.port("https");
            String refused = sClient(port, "GET /nocert HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            assertFalse(refused.contains("HTTP/1.1 200"), refused);
            String ok = sClient(port, "GET /cert HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                    "-cert", pem("client.crt"), "-key", pem("client.key"));
            assertTrue(ok.contains("HTTP/1.1 200"), ok);
            assertEquals(List.of("/cert"), origin.requests().stream().map(TestOrigin.Received::uri).toList());
        }
    }

}
