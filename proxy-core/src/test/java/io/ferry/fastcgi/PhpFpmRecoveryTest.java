package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** php-fpm going away and coming back, and requests queued for its limited children. */
@Tag("external")
class PhpFpmRecoveryTest {
    @TempDir
    Path dir;

    private FerryHarness ferry(PhpFpm fpm, String extra) throws Exception {
        return ferry(fpm, extra, "");
    }

    private FerryHarness ferry(PhpFpm fpm, String extra, String global) throws Exception {
        Path root = Files.createDirectories(dir.resolve("site"));
        Files.writeString(root.resolve("ping.php"), "<?php echo 'pong';");
        Files.writeString(root.resolve("wait.php"), "<?php usleep(300000); echo 'waited';");
        Files.writeString(root.resolve("session.php"), "<?php\n"
                + "session_save_path(__DIR__);\n"
                + "session_start();\n"
                + "$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;\n"
                + "echo 'visit ' . $_SESSION['n'];\n");
        Files.writeString(root.resolve("counter.php"), "<?php\n"
                + "$f = __DIR__ . '/count.txt';\n"
                + "$n = (int) @file_get_contents($f) + 1;\n"
                + "file_put_contents($f, (string) $n);\n"
                + "header('Cache-Control: public, max-age=60');\n"
                + "echo 'render ' . $n . ' cookie=' . ($_SERVER['HTTP_COOKIE'] ?? '-');\n");
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.php {
                  type = fastcgi
                  servers = [ "%s" ]
                  fastcgi.document-root = "%s"
                  %s
                }
                routes = [ { backend = php } ]
                timeouts.shutdown = 1s
                %s
                """).formatted(fpm.serverAddress(), root, extra, global));
    }

    private static RawClient.Response get(FerryHarness ferry, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
            return c.read();
        }
    }

    @Test
    void stoppedPhpFpmGives502AndServiceResumesWhenItIsBack() throws Exception {
        PhpFpm fpm = PhpFpm.onTcp(dir, 2);
        try (FerryHarness ferry = ferry(fpm, "retries = 0\npassive-health.enabled = false")) {
            assertEquals("pong", get(ferry, "/ping.php").bodyText());
            fpm.stop();
            assertEquals(502, get(ferry, "/ping.php").status());
            fpm.start();
            assertEquals("pong", get(ferry, "/ping.php").bodyText());
        } finally {
            fpm.close();
        }
    }

    @Test
    void activeFastCgiChecksTakePhpFpmOutAndBringItBack() throws Exception {
        PhpFpm fpm = PhpFpm.onUnixSocket(dir, 2);
        try (FerryHarness ferry = ferry(fpm, "retries = 0\npassive-health.enabled = false\n"
                + "health-check { path = \"/ping.php\", interval = 100ms, timeout = 1s, rise = 1, fall = 1 }")) {
            assertEquals("pong", get(ferry, "/ping.php").bodyText());
            fpm.stop();
            waitForStatus(ferry, 503); // marked down by the checks: answered at once, no connect attempt
            fpm.start();
            waitForStatus(ferry, 200);
        } finally {
            fpm.close();
        }
    }

    private static void waitForStatus(FerryHarness ferry, int status) throws Exception {
        Eventually.until("/ping.php answering " + status, () -> get(ferry, "/ping.php").status() == status);
    }

    @Test
    void anonymousPhpPagesAreServedFromTheCacheAndSessionsPass() throws Exception {
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = ferry(fpm, "", "cache.enabled = true")) {
            assertEquals("render 1 cookie=-", getWithCookie(ferry, "/counter.php", "_ga=GA1.2"));
            assertEquals("render 1 cookie=-", getWithCookie(ferry, "/counter.php", null), "a hit: PHP not run again");
            assertEquals("render 2 cookie=SESS1a2b=x", getWithCookie(ferry, "/counter.php", "SESS1a2b=x"),
                    "a logged-in user passes to php-fpm with the session cookie");
        }
    }

    /**
     * The default cookie rules know no application: PHP's own session cookie (PHPSESSID) is not a
     * tracking cookie, so a request carrying it passes with it, and the session survives the cache.
     */
    @Test
    void aPhpSessionCookieSurvivesTheDefaultCacheRules() throws Exception {
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = ferry(fpm, "", "cache.enabled = true")) {
            String setCookie;
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("GET /session.php HTTP/1.1\r\nHost: t\r\nCookie: _ga=GA1.2\r\n\r\n");
                RawClient.Response first = c.read();
                assertEquals("visit 1", first.bodyText());
                setCookie = first.header("set-cookie");
            }
            String session = setCookie.substring(0, setCookie.indexOf(';'));
            assertTrue(session.startsWith("PHPSESSID="), setCookie);
            assertEquals("visit 2", getWithCookie(ferry, "/session.php", "_ga=GA1.2; " + session));
            assertEquals("visit 3", getWithCookie(ferry, "/session.php", session + "; _gid=x"),
                    "the session cookie reached PHP every time");
            assertEquals("render 1 cookie=-", getWithCookie(ferry, "/counter.php", "_ga=GA1.2; _gid=1"));
            assertEquals("render 1 cookie=-", getWithCookie(ferry, "/counter.php", "__utma=1"),
                    "tracking cookies alone: still served from the cache");
        }
    }

    private static String getWithCookie(FerryHarness ferry, String path, String cookie) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n" + (cookie == null ? "" : "Cookie: " + cookie + "\r\n")
                    + "\r\n");
            return c.read().bodyText();
        }
    }

    @Test
    void requestsQueueForTheChildrenPhpFpmHas() throws Exception {
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = ferry(fpm, "max-conns = 2")) {
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<RawClient.Response>> results = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    results.add(pool.submit(() -> get(ferry, "/wait.php")));
                }
                for (Future<RawClient.Response> f : results) {
                    RawClient.Response r = f.get();
                    assertEquals(200, r.status());
                    assertEquals("waited", r.bodyText());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
