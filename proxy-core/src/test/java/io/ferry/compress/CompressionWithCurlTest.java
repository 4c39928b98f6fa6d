package io.ferry.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** curl --compressed (br, zstd, gzip) over HTTP/1.1 and HTTP/2: the encoding it gets and the bytes it decodes. */
@Tag("external")
class CompressionWithCurlTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, Accept-Encoding {1}")
    @CsvSource({"--http1.1, '', br", "--http2-prior-knowledge, '', br", "--http1.1, 'Accept-Encoding: gzip', gzip",
            "--http2-prior-knowledge, 'Accept-Encoding: zstd', zstd"})
    void curlDecodesWhatFerryCompressed(String protocol, String header, String expected) throws Exception {
        byte[] page = CompressionTest.class.getSimpleName().repeat(2000).getBytes(StandardCharsets.UTF_8);
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/plain"), page));
             FerryHarness ferry = FerryHarness.proxyTo("compression.enabled = true", origin.port())) {
            curl(protocol, header, "http://127.0.0.1:" + ferry.port() + "/page", expected, page);
        }
    }

    /** A static file without a precompressed sibling, compressed as it is read: over HTTP/1.1 (the chunked
     * writer joins a plain connection) and HTTP/2 (DATA frames from the same reader). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"--http1.1", "--http2-prior-knowledge"})
    void curlDecodesAStaticFileCompressedAsItIsRead(String protocol) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        byte[] css = ".rule { margin: 0 auto; padding: 1em; }\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        Files.write(root.resolve("site.css"), css);
        try (FerryHarness ferry = FerryHarness.site("""
                backends.php { type = fastcgi, servers = [ "127.0.0.1:9" ], fastcgi.document-root = "%s" }
                routes = [ { backend = php } ]
                compression.enabled = true
                """.formatted(root))) {
            curl(protocol, "", "http://127.0.0.1:" + ferry.port() + "/site.css", "br", css);
        }
    }

    private void curl(String protocol, String header, String url, String expected, byte[] want) throws Exception {
        Path body = dir.resolve("body");
        Path head = dir.resolve("head");
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--compressed", protocol, "-D", head.toString(),
                "-o", body.toString()));
        if (!header.isEmpty()) {
            cmd.addAll(List.of("-H", header));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "curl: " + out);
        String headers = Files.readString(head).toLowerCase();
        assertTrue(headers.contains("content-encoding: " + expected), headers);
        assertEquals(new String(want, StandardCharsets.UTF_8), Files.readString(body));
    }
}
