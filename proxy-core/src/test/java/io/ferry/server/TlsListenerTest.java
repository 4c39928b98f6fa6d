package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TrustAll;
import io.ferry.testing.TestOrigin;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** Real TLS handshakes against an https listener: JDK HttpClient, ALPN, protocol versions. */
class TlsListenerTest {

    private static String config(int originPort, String tls) {
        return config(originPort, tls, "[ h2, \"http/1.1\" ]");
    }

    private static String config(int originPort, String tls, String protocols) {
        return """
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = 0, tls { %s }, protocols = %s } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts.shutdown = 1s
                }
                """.formatted(tls, protocols, originPort);
    }

    private static String alpn(int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port)) {
            SSLParameters params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            return socket.getApplicationProtocol();
        }
    }

    @Test
    void alpnPrefersH2AndTheProtocolsKeyNarrowsIt() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri()) {
            try (FerryHarness both = FerryHarness.start(config(origin.port(), ""))) {
                assertEquals("h2", alpn(both.port("https")), "default: h2 and http/1.1, h2 first");
            }
            try (FerryHarness h2only = FerryHarness.start(config(origin.port(), "", "[ h2 ]"))) {
                assertEquals("h2", alpn(h2only.port("https")));
            }
        }
    }

    @Test
    void configuredCertificateServesHttpsToJdkHttpClient() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("localhost");
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok(
                     "proto=" + r.headers().get("x-forwarded-proto")));
             FerryHarness ferry = FerryHarness.start(config(origin.port(),
                     "cert = \"" + cert.certificate() + "\"\nkey = \"" + cert.privateKey() + "\""))) {
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(cert.certificate().getPath()))
                    .version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> res = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + ferry.port("https") + "/secure")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode());
            assertEquals("proto=https", res.body());
        } finally {
            cert.delete();
        }
    }

    @Test
    void generatedCertificateNegotiatesTls13WithAlpnHttp11() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), "", "[ \"http/1.1\" ]"));
             SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
                     .createSocket(InetAddress.getLoopbackAddress(), ferry.port("https"))) {
            SSLParameters params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
            assertEquals("http/1.1", socket.getApplicationProtocol());
            socket.getOutputStream().write("GET /tls HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertEquals("HTTP/1.1 200 OK", response.substring(0, response.indexOf("\r\n")));
        }
    }

    /** The certificate chain a listener with these tls settings (and a generated certificate) presents. */
    private static Certificate[] generatedChain(String tls) throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), tls));
             SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
                     .createSocket(InetAddress.getLoopbackAddress(), ferry.port("https"))) {
            socket.startHandshake();
            return socket.getSession().getPeerCertificates();
        }
    }

    @Test
    void generatedCertificateIsSignedByItsOwnKeyForTheConfiguredHost() throws Exception {
        Certificate[] chain = generatedChain("self-signed-host = ferry.test");
        assertEquals(1, chain.length);
        X509Certificate cert = (X509Certificate) chain[0];
        cert.verify(cert.getPublicKey()); // throws unless its own key signed it
        assertEquals("EC", cert.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", cert.getSigAlgName());
        assertEquals("CN=ferry.test", cert.getSubjectX500Principal().getName());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals(List.of(List.of(2, "ferry.test")), List.copyOf(cert.getSubjectAlternativeNames()),
                "one dNSName (type 2)");
        assertEquals(3, cert.getVersion());
        assertEquals(1, cert.getSerialNumber().signum());
        cert.checkValidity(); // valid now
        assertEquals("9999-12-31T23:59:59Z", cert.getNotAfter().toInstant().toString());
    }

    @Test
    void generatedCertificateForAnAddressNamesItAsOne() throws Exception {
        X509Certificate cert = (X509Certificate) generatedChain("self-signed-host = \"127.0.0.1\"")[0];
        assertEquals(List.of(List.of(7, "127.0.0.1")), List.copyOf(cert.getSubjectAlternativeNames()),
                "one iPAddress (type 7)");
    }

    @Test
    void protocolsSettingRestrictsVersions() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), "protocols = [ \"TLSv1.2\" ]"))) {
            try (SSLSocket tls12 = (SSLSocket) TrustAll.context().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), ferry.port("https"))) {
                tls12.startHandshake();
                assertEquals("TLSv1.2", tls12.getSession().getProtocol());
            }
            try (SSLSocket tls13only = (SSLSocket) TrustAll.context().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), ferry.port("https"))) {
                tls13only.setEnabledProtocols(new String[] {"TLSv1.3"});
                assertThrows(SSLHandshakeException.class, tls13only::startHandshake);
            }
        }
    }

    private static SSLContext trusting(String pemPath) throws Exception {
        X509Certificate x509;
        try (InputStream in = new FileInputStream(pemPath)) {
            x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ferry", x509);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
