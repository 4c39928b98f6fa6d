package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.MariaDb;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WordPress (Debian's package) on MariaDB through Ferry's FastCGI gateway with the cache on: installed,
 * then visited anonymously and logged in, under the wordpress preset and under the default rules. The
 * anonymous front page is served from the cache; a logged-in user reaches /wp-admin/ and gets their own
 * pages with every cookie intact. And the rules of conf/examples/wordpress.conf in front of it.
 */
@Tag("external")
class WordPressCacheTest {
    private static final String PASSWORD = "Ferry-Test-Pass-123";

    @TempDir
    static Path dir;
    private static MariaDb db;
    private static PhpFpm fpm;
    private static Path site;

    @BeforeAll
    static void install() throws Exception {
        Path packaged = Path.of("/usr/share/wordpress");
        if (!Files.isDirectory(packaged)) {
            throw new IllegalStateException("WordPress not found: install Debian's wordpress (bin/test does)");
        }
        db = MariaDb.start(dir);
        db.sql("CREATE DATABASE wordpress", dir);
        site = dir.resolve("site");
        Process copy = new ProcessBuilder("cp", "-rL", packaged.toString(), site.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).inheritIO().start();
        assertTrue(copy.waitFor(60, TimeUnit.SECONDS) && copy.exitValue() == 0, "copy WordPress");
        Files.writeString(site.resolve("wp-config.php"), """
                <?php
                define('DB_NAME', 'wordpress');
                define('DB_USER', 'root');
                define('DB_PASSWORD', '');
                define('DB_HOST', 'localhost:%s');
                define('DB_CHARSET', 'utf8mb4');
                define('DB_COLLATE', '');
                foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
                          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $k) { define($k, 'ferry-test-' . $k); }
                $table_prefix = 'wp_';
                define('WP_HOME', 'http://' . $_SERVER['HTTP_HOST']);
                define('WP_SITEURL', 'http://' . $_SERVER['HTTP_HOST']);
                define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
                define('WP_HTTP_BLOCK_EXTERNAL', true); // the tests talk to 127.0.0.1 only, never wordpress.org
                if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
                require_once ABSPATH . 'wp-settings.php';
                """.formatted(db.socket()));
        fpm = PhpFpm.onTcp(dir, 4, List.of("mysqlnd", "mysqli"));
        try (FerryHarness ferry = ferry("default")) {
            RawClient.Response r = post(ferry, "/wp-admin/install.php?step=2", null, "weblog_title", "Ferry WordPress",
                    "user_name", "admin", "admin_password", PASSWORD, "admin_password2", PASSWORD, "pw_weak", "1",
                    "admin_email", "admin@example.org", "blog_public", "0");
            assertTrue(r.bodyText().contains("Success!"), r.bodyText());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fpm != null) {
            fpm.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private static FerryHarness ferry(String preset) {
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.wp { type = fastcgi, servers = [ "%s" ], max-conns = 4
                  fastcgi { document-root = "%s", try-files = [ "$uri", "$uri/", "/index.php?$args" ] } }
                routes = [ { backend = wp } ]
                cache { enabled = true, anonymous.preset = %s }
                timeouts.shutdown = 1s
                """).formatted(fpm.serverAddress(), site, preset));
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String cookie) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + ferry.port() + "\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n");
            return c.read();
        }
    }

    private static RawClient.Response post(FerryHarness ferry, String path, String cookie, String... form)
            throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i + 1 < form.length; i += 2) {
            body.append(body.length() == 0 ? "" : "&").append(URLEncoder.encode(form[i], StandardCharsets.UTF_8))
                    .append('=').append(URLEncoder.encode(form[i + 1], StandardCharsets.UTF_8));
        }
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + ferry.port() + "\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n")
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\n\r\n"
                    + body);
            return c.read();
        }
    }

    /** Logs in as a browser does; returns the cookies WordPress set, as a Cookie header. */
    private static String logIn(FerryHarness ferry) throws IOException {
        String testCookie = "wordpress_test_cookie=WP%20Cookie%20check";
        RawClient.Response r = post(ferry, "/wp-login.php", testCookie, "log", "admin", "pwd", PASSWORD,
                "wp-submit", "Log In", "testcookie", "1");
        assertEquals(302, r.status(), "login accepted: " + r.bodyText());
        List<String> cookies = new ArrayList<>(List.of(testCookie));
        for (String set : r.headerValues("set-cookie")) {
            String pair = set.substring(0, set.indexOf(';'));
            if (!cookies.contains(pair)) {
                cookies.add(pair);
            }
        }
        String header = String.join("; ", cookies);
        assertTrue(header.contains("wordpress_logged_in_"), header);
        return "_ga=GA1.2.3; " + header; // with a tracking cookie, as real browsers have
    }

    private void visit(String preset) throws IOException {
        try (FerryHarness ferry = ferry(preset)) {
            assertEquals(200, get(ferry, "/", null).status());
            RawClient.Response anon = get(ferry, "/", "_ga=GA1.2.3");
            assertEquals("HIT", anon.header("x-cache"), preset + ": the anonymous front page comes from the cache");
            assertTrue(anon.bodyText().contains("Ferry WordPress"));
            assertFalse(anon.bodyText().contains("wp-admin-bar"));

            String session = logIn(ferry);
            RawClient.Response admin = get(ferry, "/wp-admin/", session);
            assertEquals(200, admin.status(), preset + ": a logged-in user reaches the dashboard, not the login");
            assertTrue(admin.bodyText().contains("Dashboard"));
            assertEquals("PASS", admin.header("x-cache"));

            RawClient.Response own = get(ferry, "/", session);
            assertEquals("PASS", own.header("x-cache"), preset + ": logged-in pages pass");
            assertTrue(own.bodyText().contains("wp-admin-bar"), "their own page (with the admin bar), not the cached one");
        }
    }

    @Test
    void wordpressPresetCachesVisitorsAndPassesLoggedInUsers() throws Exception {
        visit("wordpress");
    }

    @Test
    void defaultRulesKeepEveryWordPressCookie() throws Exception {
        visit("default");
    }

    /** The {@code rules { ... }} block of conf/examples/wordpress.conf, as shipped. */
    private static String exampleRules() throws IOException {
        String text = Files.readString(Path.of("../conf/examples/wordpress.conf"));
        int start = text.indexOf("\n  rules {");
        int end = text.indexOf("\n  }\n", start);
        return text.substring(start, end + 4)
                .replace("\"redirects.map\"", "\"" + Path.of("../conf/examples/redirects.map").toAbsolutePath() + "\"");
    }

    @Test
    void theExampleRulesGuardWordPressAndAddItsHeaders() throws Exception {
        String bare = FerryHarness.siteConfig("""
                backends.wp { type = fastcgi, servers = [ "%s" ], max-conns = 4
                  fastcgi { document-root = "%s", try-files = [ "$uri", "$uri/", "/index.php?$args" ] } }
                routes = [ { backend = wp } ]
                timeouts.shutdown = 1s
                """).formatted(fpm.serverAddress(), site);
        try (FerryHarness ferry = FerryHarness.start(bare)) {
            RawClient.Response page = get(ferry, "/", null);
            assertEquals(200, page.status());
            assertTrue(page.header("x-powered-by") != null, "PHP names itself without the rules");
            assertEquals(null, page.header("x-frame-options"));
            assertEquals(405, get(ferry, "/xmlrpc.php", null).status(), "WordPress's own answer to a GET");
        }
        String withRules = bare.substring(0, bare.lastIndexOf('}')) + exampleRules() + "\n}\n";
        try (FerryHarness ferry = FerryHarness.start(withRules)) {
            RawClient.Response page = get(ferry, "/", null);
            assertEquals(200, page.status());
            assertTrue(page.bodyText().contains("Ferry WordPress"));
            assertEquals(null, page.header("x-powered-by"));
            assertEquals("SAMEORIGIN", page.header("x-frame-options"));
            assertEquals("nosniff", page.header("x-content-type-options"));
            assertEquals("camera=(), microphone=(), geolocation=()", page.header("permissions-policy"), "an HTML page");
            assertTrue(page.header("x-request-id").matches("[0-9a-f]{32}"), page.header("x-request-id"));
            assertEquals(403, get(ferry, "/xmlrpc.php", null).status());
            assertEquals(404, get(ferry, "/.env", null).status());
            assertEquals(404, get(ferry, "/wp-config.php.bak", null).status());
            assertEquals(200, get(ferry, "/wp-login.php", null).status(), "127.0.0.1 is in the allowed networks");
            for (int i = 0; i < 6; i++) { // 1 + burst 5 wrong passwords: WordPress answers each itself
                assertEquals(200, post(ferry, "/wp-login.php", null, "log", "admin", "pwd", "wrong" + i).status());
            }
            RawClient.Response limited = post(ferry, "/wp-login.php", null, "log", "admin", "pwd", "wrong");
            assertEquals(429, limited.status(), "the seventh attempt in a minute");
            assertTrue(limited.header("retry-after") != null);
            RawClient.Response old = get(ferry, "/blog/2024/05/hello-world/", null);
            assertEquals(301, old.status());
            assertEquals("https://www.example.org/news/blog/2024/05/hello-world/", old.header("location"));
            RawClient.Response mapped = get(ferry, "/about-us.html", null);
            assertEquals(301, mapped.status(), "from redirects.map");
            assertEquals("/about/", mapped.header("location"));
        }
    }
}
