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
            Path body = dir.resolve("body");
            Path head = dir.resolve("head");
            List<String> cmd = new ArrayList<>(List.of("curl", "-s", "--compressed", protocol, "-D", head.toString(),
                    "-o", body.toString()));
            if (!header.isEmpty()) {
                cmd.addAll(List.of("-H", header));
            }
            cmd.add("http://127.0.0.1:" + ferry.port() + "/page");
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "curl: " + out);
            String headers = Files.readString(head).toLowerCase();
            assertTrue(headers.contains("content-encoding: " + expected), headers);
            assertEquals(new String(page, StandardCharsets.UTF_8), Files.readString(body));
        }
    }
}
