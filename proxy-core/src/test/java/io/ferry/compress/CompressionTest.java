package io.ferry.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import static io.ferry.testing.ContentCodings.decode;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compression over real sockets: a Netty origin sending bodies as they are, Ferry compressing them for
 * what each client accepts, the bodies decoded by the reference decoders (the JDK's gzip, brotli4j's and
 * zstd-jni's) and compared byte for byte.
 */
class CompressionTest {
    private static final byte[] PAGE = page();

    private static byte[] page() {
        StringBuilder sb = new StringBuilder("<!doctype html><html><body>");
        for (int i = 0; i < 400; i++) {
            sb.append("<p class=\"post\">Post number ").append(i).append(": Ferry compresses what the backend sends.</p>\n");
        }
        return sb.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static TestOrigin origin() {
        return TestOrigin.start(r -> switch (r.uri()) {
            case "/page" -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html; charset=utf-8", "ETag", "\"v1\""), PAGE);
            case "/image" -> new TestOrigin.Reply(200, Map.of("Content-Type", "image/png"), PAGE);
            case "/encoded" -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html", "Content-Encoding", "br"), PAGE);
            case "/no-transform" -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                    "Cache-Control", "no-transform"), PAGE);
            case "/small" -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html"), "tiny".getBytes());
            case "/varied" -> new TestOrigin.Reply(200, Map.of("Content-Type", "application/json", "Vary", "Cookie"), PAGE);
            default -> new TestOrigin.Reply(404, Map.of("Content-Type", "text/plain"), "no".getBytes());
        });
    }

    private static FerryHarness ferry(TestOrigin origin) {
        return FerryHarness.proxyTo("compression.enabled = true", origin.port());
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String acceptEncoding) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n"
                    + (acceptEncoding == null ? "" : "Accept-Encoding: " + acceptEncoding + "\r\n") + "\r\n").read();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gzip, gzip", "br, br", "zstd, zstd", "'gzip, deflate, br, zstd', br", "'gzip;q=1, br;q=0.5', gzip",
            "'br;q=0, zstd;q=0.2, gzip;q=0.1', zstd", "'*', br", "'identity, *;q=0.3', br"})
    void eachEncodingIsNegotiatedAndDecodesToTheBackendsBytes(String accept, String expected) throws Exception {
        try (TestOrigin origin = origin(); FerryHarness ferry = ferry(origin)) {
            RawClient.Response r = get(ferry, "/page", accept);
            assertEquals(200, r.status());
            assertEquals(expected, r.header("Content-Encoding"));
            assertEquals("Accept-Encoding", r.header("Vary"));
            assertEquals("W/\"v1\"", r.header("ETag"), "the bytes differ: a weak validator");
            assertNull(r.header("Content-Length"), "streamed as it is compressed");
            assertTrue(r.body().length < PAGE.length / 4, "compressed: " + r.body().length);
            assertArrayEquals(PAGE, decode(expected, r.body()));
        }
    }

    @Test
    void whatShouldNotBeCompressedIsNot() throws Exception {
        try (TestOrigin origin = origin(); FerryHarness ferry = ferry(origin)) {
            RawClient.Response plain = get(ferry, "/page", null);
            assertNull(plain.header("Content-Encoding"), "no Accept-Encoding: as it is");
            assertEquals("Accept-Encoding", plain.header("Vary"), "but caches learn it varies");
            assertEquals(String.valueOf(PAGE.length), plain.header("Content-Length"));
            assertNull(get(ferry, "/page", "gzip;q=0, br;q=0, zstd;q=0").header("Content-Encoding"));
            assertNull(get(ferry, "/page", "deflate").header("Content-Encoding"), "deflate is not offered");
            assertNull(get(ferry, "/image", "gzip").header("Content-Encoding"), "not a compressible type");
            RawClient.Response encoded = get(ferry, "/encoded", "gzip");
            assertEquals("br", encoded.header("Content-Encoding"), "already encoded (not gzip): untouched");
            assertArrayEquals(PAGE, encoded.body());
            assertNull(get(ferry, "/no-transform", "gzip").header("Content-Encoding"));
            assertNull(get(ferry, "/small", "gzip").header("Content-Encoding"), "under min-length");
            RawClient.Response varied = get(ferry, "/varied", "gzip");
            assertEquals("gzip", varied.header("Content-Encoding"));
            assertEquals("Cookie, Accept-Encoding", varied.header("Vary"));
            try (RawClient c = new RawClient(ferry.port())) {
                RawClient.Response head = c.send("HEAD /page HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n").read(true);
                assertNull(head.header("Content-Encoding"), "HEAD: as it is");
            }
        }
    }

    @Test
    void aRouteCanTurnItOffOrChooseItsOwn() throws Exception {
        try (TestOrigin origin = origin();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     compression { enabled = true, algorithms = [ gzip ] }
                     routes = [ { path = "/page", backend = app, compression = false },
                                { path = "/varied", backend = app, compression { algorithms = [ zstd ], zstd-level = 9 } },
                                { backend = app } ]
                     """, origin.port())) {
            assertNull(get(ferry, "/page", "gzip, br").header("Content-Encoding"));
            RawClient.Response zstd = get(ferry, "/varied", "gzip, br, zstd");
            assertEquals("zstd", zstd.header("Content-Encoding"));
            assertArrayEquals(PAGE, decode("zstd", zstd.body()));
            assertEquals(null, get(ferry, "/image", "gzip").header("Content-Encoding"));
        }
    }

    /** With the cache on, each coding is made once and kept: a hit sends the stored bytes, never compresses. */
    @Test
    void theCacheKeepsOneVariantPerCodingCompressedOnce() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                "Cache-Control", "public, max-age=60"), PAGE));
             FerryHarness ferry = FerryHarness.proxyTo("""
                     compression.enabled = true
                     cache.enabled = true
                     """, origin.port())) {
            RawClient.Response first = get(ferry, "/page", "gzip, deflate, br, zstd");
            assertEquals("br", first.header("Content-Encoding"));
            assertEquals("br", origin.requests().get(0).headers().get("Accept-Encoding"),
                    "the backend is asked for the one coding Ferry sends");
            RawClient.Response hit = get(ferry, "/page", "br, gzip");
            assertEquals("HIT", hit.header("X-Cache"));
            assertEquals("br", hit.header("Content-Encoding"));
            assertArrayEquals(first.body(), hit.body(), "the stored bytes: nothing compressed again");
            assertArrayEquals(PAGE, decode("br", hit.body()));

            RawClient.Response gzip = get(ferry, "/page", "gzip");
            assertEquals("gzip", gzip.header("Content-Encoding"), "another coding: its own variant");
            assertArrayEquals(PAGE, decode("gzip", gzip.body()));
            assertEquals("HIT", get(ferry, "/page", "deflate, gzip").header("X-Cache"));
            RawClient.Response zstd = get(ferry, "/page", "zstd");
            assertEquals("zstd", zstd.header("Content-Encoding"));
            RawClient.Response plain = get(ferry, "/page", null);
            assertNull(plain.header("Content-Encoding"));
            assertArrayEquals(PAGE, plain.body());
            assertEquals("HIT", get(ferry, "/page", "identity").header("X-Cache"));
            assertEquals("HIT", get(ferry, "/page", "zstd").header("X-Cache"));
            assertEquals(4, origin.requests().size(), "one fetch per coding: br, gzip, zstd, identity");
        }
    }

    private static byte[] gzipped(byte[] in) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(out)) {
            g.write(in);
        }
        return out.toByteArray();
    }

    /** A backend that sends gzip whatever it is asked: decoded for a client without gzip, passed to one with. */
    @Test
    void aBackendsGzipIsDecodedForAClientThatDoesNotTakeIt() throws Exception {
        byte[] gz = gzipped(PAGE);
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                "Content-Encoding", "gzip", "ETag", "\"z\""), gz));
             FerryHarness ferry = ferry(origin)) {
            RawClient.Response plain = get(ferry, "/page", "br");
            assertNull(plain.header("Content-Encoding"));
            assertArrayEquals(PAGE, plain.body(), "decoded as it passed");
            assertEquals("W/\"z\"", plain.header("ETag"));
            assertEquals("Accept-Encoding", plain.header("Vary"));
            RawClient.Response none = get(ferry, "/page", null);
            assertArrayEquals(PAGE, none.body());
            RawClient.Response asIs = get(ferry, "/page", "gzip");
            assertEquals("gzip", asIs.header("Content-Encoding"));
            assertArrayEquals(gz, asIs.body(), "a client that takes gzip gets the backend's bytes");
        }
    }

    /** A compression bomb from a backend: decoding stops at cache.max-object-size and the response is cut. */
    @Test
    void aGzipBombIsCutAtTheObjectSizeLimit() throws Exception {
        byte[] bomb = gzipped(new byte[64 * 1024 * 1024]); // 64 MiB of zeros in about 64 KiB
        try (TestOrigin origin = TestOrigin.start(r -> r.uri().equals("/bomb")
                ? new TestOrigin.Reply(200, Map.of("Content-Type", "text/html", "Content-Encoding", "gzip"), bomb)
                : TestOrigin.Reply.ok("fine"));
             FerryHarness ferry = FerryHarness.proxyTo("""
                     compression.enabled = true
                     cache.max-object-size = 1m
                     """, origin.port())) {
            long received = 0;
            try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), ferry.port())) {
                s.setSoTimeout(15_000);
                s.getOutputStream().write("GET /bomb HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                java.io.InputStream in = s.getInputStream();
                byte[] buf = new byte[65536];
                int n;
                try {
                    while ((n = in.read(buf)) > 0) {
                        received += n;
                    }
                } catch (java.net.SocketException reset) {
                    // cut: what arrived is what counts
                }
            }
            assertTrue(received < 2 * 1024 * 1024, "cut near the 1 MiB limit, not 64 MiB: " + received);
            assertEquals("fine", get(ferry, "/after", null).bodyText(), "Ferry goes on");
        }
    }
}
