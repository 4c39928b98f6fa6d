package io.ferry.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static files of a document root with precompressed siblings (nginx gzip_static / brotli_static):
 * the sibling the client takes, with the original's type, unless it is older than the original.
 * (Static files never reach php-fpm, so none runs here.)
 */
class PrecompressedFilesTest {
    @TempDir
    Path root;

    private static RawClient.Response get(FerryHarness ferry, String path, String acceptEncoding) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n"
                    + (acceptEncoding == null ? "" : "Accept-Encoding: " + acceptEncoding + "\r\n") + "\r\n").read();
        }
    }

    private static byte[] gzip(byte[] in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(in);
        }
        return out.toByteArray();
    }

    @Test
    void theSiblingTheClientTakesGoesOutWithTheOriginalsType() throws Exception {
        byte[] css = "body { color: #333; }\n".repeat(200).getBytes(StandardCharsets.UTF_8);
        Path original = Files.write(root.resolve("style.css"), css);
        Path gz = Files.write(root.resolve("style.css.gz"), gzip(css));
        Path br = Files.write(root.resolve("style.css.br"), "made by brotli at deploy time".getBytes());
        FileTime now = Files.getLastModifiedTime(original);
        Files.setLastModifiedTime(gz, now);
        Files.setLastModifiedTime(br, FileTime.fromMillis(now.toMillis() - 60_000)); // older: stale, never sent
        try (FerryHarness ferry = FerryHarness.site("""
                backends.php { type = fastcgi, servers = [ "127.0.0.1:9" ], fastcgi.document-root = "%s" }
                routes = [ { backend = php } ]
                compression.enabled = true
                """.formatted(root))) {
            RawClient.Response r = get(ferry, "/style.css", "br, gzip");
            assertEquals(200, r.status());
            assertEquals("gzip", r.header("Content-Encoding"), "the .br is older than the file: the .gz");
            assertEquals("text/css; charset=utf-8", r.header("Content-Type"));
            assertEquals("Accept-Encoding", r.header("Vary"));
            assertArrayEquals(css, io.ferry.testing.ContentCodings.decode("gzip", r.body()));
            assertEquals(String.valueOf(Files.size(gz)), r.header("Content-Length"), "sent as the file it is");

            Files.setLastModifiedTime(br, now);
            RawClient.Response brotli = get(ferry, "/style.css", "br, gzip");
            assertEquals("br", brotli.header("Content-Encoding"));
            assertEquals("made by brotli at deploy time", brotli.bodyText());

            RawClient.Response plain = get(ferry, "/style.css", null);
            assertNull(plain.header("Content-Encoding"));
            assertEquals("Accept-Encoding", plain.header("Vary"));
            assertArrayEquals(css, plain.body());
            try (RawClient c = new RawClient(ferry.port())) {
                RawClient.Response range = c.send("GET /style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n"
                        + "Range: bytes=0-3\r\n\r\n").read();
                assertEquals(206, range.status());
                assertNull(range.header("Content-Encoding"), "a range is of the file itself");
                assertEquals("body", range.bodyText());
            }
        }
        try (FerryHarness ferry = FerryHarness.site("""
                backends.php { type = fastcgi, servers = [ "127.0.0.1:9" ], fastcgi.document-root = "%s" }
                routes = [ { backend = php } ]
                compression { enabled = true, precompressed = false }
                """.formatted(root))) {
            RawClient.Response r = get(ferry, "/style.css", "gzip");
            assertEquals("gzip", r.header("Content-Encoding"), "precompressed = false: compressed as it is read");
            assertNull(r.header("Content-Length"), "not the sibling");
            assertArrayEquals(css, io.ferry.testing.ContentCodings.decode("gzip", r.body()));
        }
    }

    /**
     * A file without a sibling is compressed as it is read (nginx gzip on), in each encoding and over a
     * keepalive connection that then serves the same file as it is with sendfile; small files, other
     * types, ranges and HEAD go as they are.
     */
    @Test
    void aFileWithoutASiblingIsCompressedAsItIsRead() throws Exception {
        StringBuilder js = new StringBuilder();
        for (int i = 0; i < 20_000; i++) { // ~600 KiB: many chunks of the file reader
            js.append("var item").append(i).append(" = { id: ").append(i).append(", name: 'item ").append(i).append("' };\n");
        }
        byte[] script = js.toString().getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve("app.js"), script);
        Files.write(root.resolve("tiny.js"), "var a;".getBytes());
        Files.write(root.resolve("logo.png"), script);
        try (FerryHarness ferry = FerryHarness.site("""
                backends.php { type = fastcgi, servers = [ "127.0.0.1:9" ], fastcgi.document-root = "%s" }
                routes = [ { backend = php } ]
                compression.enabled = true
                """.formatted(root))) {
            for (String encoding : new String[] {"br", "zstd", "gzip"}) {
                RawClient.Response r = get(ferry, "/app.js", encoding);
                assertEquals(200, r.status());
                assertEquals(encoding, r.header("Content-Encoding"));
                assertEquals("Accept-Encoding", r.header("Vary"));
                assertNull(r.header("Content-Length"));
                assertTrue(r.header("ETag").startsWith("W/"), "a weak validator: " + r.header("ETag"));
                assertTrue(r.body().length < script.length / 4, "compressed: " + r.body().length);
                assertArrayEquals(script, io.ferry.testing.ContentCodings.decode(encoding, r.body()));
            }
            try (RawClient c = new RawClient(ferry.port())) { // one connection: compressed, then sendfile
                RawClient.Response gz = c.send("GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n").read();
                assertArrayEquals(script, io.ferry.testing.ContentCodings.decode("gzip", gz.body()));
                RawClient.Response plain = c.send("GET /app.js HTTP/1.1\r\nHost: t\r\n\r\n").read();
                assertEquals(String.valueOf(script.length), plain.header("Content-Length"));
                assertArrayEquals(script, plain.body());
                RawClient.Response head = c.send("HEAD /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n").read(true);
                assertNull(head.header("Content-Encoding"), "HEAD: as it is");
            }
            assertNull(get(ferry, "/tiny.js", "gzip").header("Content-Encoding"), "under min-length");
            assertNull(get(ferry, "/logo.png", "gzip").header("Content-Encoding"), "not a compressible type");
        }
    }
}
