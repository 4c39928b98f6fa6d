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
 * console errors; its 15-minute charts, compared in screenshots taken before and after load (the pixels of
 * each series' colour counted); with admin.token, the sign-in form and a token kept by the page.
 */
@Tag("external")
class StatsPageBrowserTest {
    @TempDir
    Path dir;

    private record Page(String dom, String console) {
    }

    private Page load(String url) throws Exception {
        return run(url, "--dump-dom");
    }

    /** A screenshot of the page after its first refreshes, decoded. */
    private java.awt.image.BufferedImage screenshot(String url) throws Exception {
        Path png = dir.resolve("shot-" + System.nanoTime() + ".png");
        Page p = run(url, "--screenshot=" + png, "--window-size=1600,700", "--hide-scrollbars");
        assertTrue(Files.exists(png), "no screenshot: " + p.console());
        return javax.imageio.ImageIO.read(png.toFile());
    }

    private static int pixels(java.awt.image.BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    private Page run(String url, String... what) throws Exception {
        String chromium = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium";
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--virtual-time-budget=3000", "--enable-logging=stderr", "--v=0"));
        cmd.addAll(List.of(what));
        cmd.add(url);
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

    private static final int RATE = 0x9ecae1;
    private static final int ERRORS = 0xf4a6a6;
    private static final int P99 = 0xc7b3e6;
    private static final int HITS = 0xa8ddb5;

    @Test
    void theChartsShowTheLoadInAScreenshotTakenAfterIt() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> r.uri().startsWith("/boom")
                ? new TestOrigin.Reply(500, java.util.Map.of(), "no".getBytes())
                : new TestOrigin.Reply(200, java.util.Map.of("Cache-Control", r.uri().startsWith("/c") ? "max-age=60" : "no-store"),
                        "a".getBytes()));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app.servers = [ "127.0.0.1:%d" ]
                     routes = [ { backend = app } ]
                     cache.enabled = true
                     admin { enabled = true, bind = "127.0.0.1", port = 0 }
                     timeouts.shutdown = 1s
                     """).formatted(a.port()))) {
            String url = "http://127.0.0.1:" + ferry.server().adminPort() + "/stats";
            java.awt.image.BufferedImage before = screenshot(url);
            assertEquals(0, pixels(before, RATE), "no traffic yet: no rate bars");
            assertEquals(0, pixels(before, HITS));

            try (RawClient c = new RawClient(ferry.port())) { // bounded load: 300 requests, some hits, some errors
                for (int i = 0; i < 300; i++) {
                    String path = i % 3 == 0 ? "/c" + (i % 5) : i % 10 == 1 ? "/boom" : "/x" + i;
                    c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
                }
            }
            java.awt.image.BufferedImage after = screenshot(url);
            assertTrue(pixels(after, RATE) >= 2 * 2 * 10, "rate bars for the backend and its server: " + pixels(after, RATE));
            assertTrue(pixels(after, ERRORS) > 0, "error bars");
            assertTrue(pixels(after, P99) > 0, "p99 bars");
            assertTrue(pixels(after, HITS) > 0, "hit ratio bars");
            Page dom = load(url);
            assertTrue(dom.dom().contains("class=\"spark rate\""), dom.dom());
            assertNoConsoleErrors(dom);
        }
    }

    @Test
    void withATokenThePageAsksForItAndKeepsIt() throws Exception {
        String token = "stats-page-token-0123456789";
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app.servers = [ "127.0.0.1:%d" ]
                     routes = [ { backend = app } ]
                     admin { enabled = true, bind = "127.0.0.1", port = 0, token = "%s" }
                     timeouts.shutdown = 1s
                     """).formatted(a.port(), token))) {
            String url = "http://127.0.0.1:" + ferry.server().adminPort() + "/stats";
            Page asked = load(url);
            assertTrue(asked.dom().contains("<form id=\"login\">"), "the sign-in form shows: " + asked.dom());
            assertTrue(!asked.dom().contains("id=\"backend-app\""), "and no data without the token");

            Page refused = load(url + "#token=not-the-token");
            assertTrue(refused.dom().contains("that token was refused"), refused.dom());

            Page in = load(url + "#token=" + token);
            assertTrue(in.dom().contains("id=\"backend-app\""), "with the token the page shows Ferry: " + in.dom());
            assertTrue(in.dom().contains("<form id=\"login\" hidden=\"\">"), in.dom());
            assertTrue(!in.dom().contains(token), "the token leaves the address and the page");
            assertNoConsoleErrors(in);
        }
    }
}
