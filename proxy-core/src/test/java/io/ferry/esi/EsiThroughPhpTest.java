package io.ferry.esi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ESI from a real php-fpm over FastCGI, written the way Symfony's HttpCache ESI support decides: markup
 * only when the request's Surrogate-Capability names ESI/1.0, else the fragment inline. The page is
 * cached for everyone; the per-user fragment runs for each request with the client's session cookie.
 */
@Tag("external")
class EsiThroughPhpTest {
    @TempDir
    Path dir;

    @Test
    void aPhpPageEmitsEsiAndFerryAssemblesItPerUser() throws Exception {
        Path root = dir.resolve("site");
        PhpFpm.copyTestSite(root);
        Files.writeString(root.resolve("esi-page.php"), """
                <?php
                $esi = strpos($_SERVER['HTTP_SURROGATE_CAPABILITY'] ?? '', 'ESI/1.0') !== false;
                header('Cache-Control: public, max-age=300');
                if ($esi) { header('Surrogate-Control: content="ESI/1.0"'); }
                echo '<html><h1>Course page</h1>';
                echo $esi ? '<esi:include src="/esi-user.php" onerror="continue"/>' : '[inline]';
                echo '</html>';
                """);
        Files.writeString(root.resolve("esi-user.php"), """
                <?php
                header('Cache-Control: private');
                echo '<p>user=' . htmlspecialchars($_COOKIE['SESSabc'] ?? 'anonymous') . '</p>';
                """);
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 2);
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.php { type = fastcgi, servers = [ "%s" ], fastcgi.document-root = "%s" }
                     routes = [ { backend = php } ]
                     cache { enabled = true, anonymous.preset = drupal }
                     rules.request = [ { if { path = "/esi-page.php" }, del-header = Cookie } ]
                     timeouts.shutdown = 1s
                     """.formatted(fpm.serverAddress(), root)))) {
            assertEquals("<html><h1>Course page</h1><p>user=ann</p></html>", get(ferry, "SESSabc=ann").bodyText());
            RawClient.Response bob = get(ferry, "SESSabc=bob");
            assertEquals("<html><h1>Course page</h1><p>user=bob</p></html>", bob.bodyText());
            assertEquals("HIT", bob.header("X-Cache"), "the page is stored once for everyone");
            assertEquals("<html><h1>Course page</h1><p>user=anonymous</p></html>", get(ferry, null).bodyText());
        }
    }

    private static RawClient.Response get(FerryHarness ferry, String cookie) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET /esi-page.php HTTP/1.1\r\nHost: course.test\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n").read();
        }
    }
}
