package io.ferry.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.cache.HttpDates;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static files of a FastCGI document root carry the lifetimes a site sets with nginx's {@code expires}
 * or Apache's mod_expires: first matching rule by path, {@code immutable} for fingerprinted assets.
 * (Static files never reach php-fpm, so none runs here.)
 */
class StaticExpiresTest {
    @TempDir
    Path root;

    private static RawClient.Response get(FerryHarness ferry, String path, String... headers) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            StringBuilder sb = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: t\r\n");
            for (String h : headers) {
                sb.append(h).append("\r\n");
            }
            c.send(sb.append("\r\n").toString());
            return c.read();
        }
    }

    @Test
    void rulesSetCacheControlAndExpiresByPath() throws Exception {
        Files.writeString(root.resolve("style.css"), "body{}");
        Files.writeString(root.resolve("app.3f9a1c2b.js"), "x()");
        Files.writeString(root.resolve("notes.txt"), "plain");
        Files.createDirectories(root.resolve("sites/default/files"));
        Files.writeString(root.resolve("sites/default/files/photo.jpg"), "jpg");
        try (FerryHarness ferry = FerryHarness.site("""
                backends.php {
                  type = fastcgi
                  servers = [ "127.0.0.1:9" ]
                  fastcgi {
                    document-root = "%s"
                    expires = [
                      { path = "\\\\.[0-9a-f]{8}\\\\.(css|js)$", max-age = 365d, immutable = true }
                      { path = "\\\\.(css|js)$", max-age = 7d }
                      { path = "^/sites/default/files/", max-age = 30d }
                    ]
                  }
                }
                routes = [ { backend = php } ]
                """.formatted(root))) {
            long before = System.currentTimeMillis();
            RawClient.Response css = get(ferry, "/style.css");
            assertEquals(200, css.status());
            assertEquals("public, max-age=604800", css.header("cache-control"));
            long expires = HttpDates.parse(css.header("expires"));
            assertTrue(expires >= before / 1000 * 1000 + 604_800_000L - 1000, css.header("expires"));
            assertEquals("public, max-age=31536000, immutable", get(ferry, "/app.3f9a1c2b.js").header("cache-control"),
                    "the fingerprinted rule comes first");
            assertEquals("public, max-age=2592000", get(ferry, "/sites/default/files/photo.jpg").header("cache-control"));
            RawClient.Response txt = get(ferry, "/notes.txt");
            assertNull(txt.header("cache-control"), "no rule: validators only");
            assertTrue(txt.header("etag") != null && txt.header("last-modified") != null);
            RawClient.Response revalidated = get(ferry, "/style.css", "If-None-Match: " + css.header("etag"));
            assertEquals(304, revalidated.status());
            assertEquals("public, max-age=604800", revalidated.header("cache-control"), "a 304 carries it too");
        }
    }

    @Test
    void aRuleWithoutAPathOrLifetimeStopsStartup() {
        String config = FerryHarness.siteConfig("""
                backends.php { type = fastcgi, servers = [ "127.0.0.1:9" ],
                  fastcgi { document-root = "%s", expires = [ { max-age = 7d } ] } }
                routes = [ { backend = php } ]
                """.formatted(root));
        io.ferry.config.ConfigError e = org.junit.jupiter.api.Assertions.assertThrows(io.ferry.config.ConfigError.class,
                () -> io.ferry.config.ConfigLoader.parse(config, Path.of(".")));
        assertTrue(e.getMessage().contains("expires[0].path"), e.getMessage());
    }
}
