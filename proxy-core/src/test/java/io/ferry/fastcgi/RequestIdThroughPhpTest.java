package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request ID end to end through a real php-fpm: made by Ferry, seen by PHP as HTTP_X_REQUEST_ID,
 * echoed to the client and written in the access log as $request_id, the same value everywhere; and, with
 * tracing on, the W3C trace context as HTTP_TRACEPARENT.
 */
@Tag("external")
class RequestIdThroughPhpTest {
    @TempDir
    Path dir;

    @Test
    void phpTheClientAndTheAccessLogSeeTheSameId() throws Exception {
        Path root = dir.resolve("site");
        PhpFpm.copyTestSite(root);
        Path log = dir.resolve("access.log");
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.php { type = fastcgi, servers = [ "%s" ], fastcgi.document-root = "%s" }
                     routes = [ { backend = php } ]
                     rules.request-id.enabled = true
                     tracing.enabled = true
                     access-log { enabled = true, path = "%s", format = "$request_id $status $request_uri" }
                     timeouts.shutdown = 1s
                     """.formatted(fpm.serverAddress(), root, log)))) {
            RawClient.Response r;
            try (RawClient c = new RawClient(ferry.port())) {
                r = c.send("GET /info.php HTTP/1.1\r\nHost: t\r\nX-Request-ID: forged-by-client\r\n\r\n").read();
            }
            assertEquals(200, r.status());
            String id = r.header("X-Request-ID");
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            assertTrue(r.bodyText().contains("HTTP_X_REQUEST_ID=" + id + "\n"), r.bodyText());
            assertTrue(r.bodyText().matches("(?s).*HTTP_TRACEPARENT=00-[0-9a-f]{32}-[0-9a-f]{16}-01\n.*"),
                    "PHP sees the trace context Ferry sends: " + r.bodyText());
            Eventually.until("the access log line", () -> Files.exists(log) && !Files.readAllLines(log).isEmpty());
            List<String> lines = Files.readAllLines(log);
            assertEquals(id + " 200 /info.php", lines.get(0));
        }
    }
}
