package io.ferry.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live stats page in a real headless Chromium (Debian's chromium, installed by bin/test): it
 * renders the backends from /status, shows a server going down when it is stopped, and logs no
 * console errors.
 */
@Tag("external")
class StatsPageBrowserTest {
    @TempDir
    Path dir;

    private record Page(String dom, String console) {
    }

    private Page load(String url) throws Exception {
        String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium";
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--virtual-time-budget=3000", "--enable-logging=stderr", "--v=0", "--dump-dom", url));
        Path err = dir.resolve("chromium-" + System.nanoTime() + ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
        return new Page(new String(out, StandardCharsets.UTF_8), Files.readString(err));
    }

    @Test
    void pageShowsBackendsLiveAndAServerGoingDown() throws Exception {
        TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
        try (TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app {
                       servers = [ "127.0.0.1:%d", "127.0.0.1:%d" ]
                       health-check { path = "/", interval = 100ms, timeout = 500ms, rise = 1, fall = 1 }
                     }
                     routes = [ { backend = app } ]
                     cache.enabled = true
                     admin { enabled = true, bind = "127.0.0.1", port = 0 }
                     timeouts.shutdown = 1s
                     """).formatted(a.port(), b.port()))) {
            for (int i = 0; i < 4; i++) {
                try (RawClient c = new RawClient(ferry.port())) {
                    c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals(200, c.read().status());
                }
            }
            String url = "http://127.0.0.1:" + ferry.server().adminPort() + "/stats";
            String serverA = "127.0.0.1:" + a.port();

            Page up = load(url);
            assertTrue(up.dom().contains("<tr class=\"up\" data-server=\"" + serverA + "\">"), up.dom());
            assertTrue(up.dom().contains("id=\"backend-app\""), up.dom());
            assertTrue(up.dom().contains("hit ratio"), "cache section rendered");
            assertNoConsoleErrors(up);

            a.close();
            Eventually.until("a marked down", () -> statusOf(ferry).contains("\"state\":\"down\""));
            Page down = load(url);
            assertTrue(down.dom().contains("<tr class=\"down\" data-server=\"" + serverA + "\">"), down.dom());
            assertNoConsoleErrors(down);
        } finally {
            a.close();
        }
    }

    private static String statusOf(FerryHarness ferry) throws Exception {
        try (RawClient c = new RawClient(ferry.server().adminPort())) {
            c.send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n");
            return c.read().bodyText();
        }
    }

    private static void assertNoConsoleErrors(Page page) {
        for (String line : page.console().split("\n")) {
            if (line.contains("CONSOLE")) {
                assertTrue(!line.contains("Error") && !line.contains("Uncaught"), "console error: " + line);
            }
        }
    }
}
