package io.ferry.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
            assertNull(get(ferry, "/style.css", "gzip").header("Content-Encoding"), "precompressed = false");
        }
    }
}
