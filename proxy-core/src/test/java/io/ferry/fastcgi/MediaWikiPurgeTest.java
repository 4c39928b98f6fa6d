package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.RawClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's MediaWiki (SQLite) through php-fpm, with Ferry as its CDN ($wgUseCdn, $wgCdnServers): an
 * anonymous reader — whose browser carries the cookies MediaWiki's scripts set — gets hits under the
 * mediawiki preset, and an edit makes MediaWiki itself send Ferry its PURGE, after which readers get the
 * new text. bin/test installs mediawiki, php8.2-sqlite3 and php8.2-curl.
 */
@Tag("external")
class MediaWikiPurgeTest {
    private static final Path MEDIAWIKI = Path.of("/usr/share/mediawiki");
    private static final List<String> EXTENSIONS = List.of("ctype", "iconv", "intl", "mbstring", "xml", "dom",
            "xmlreader", "xmlwriter", "simplexml", "fileinfo", "pdo", "pdo_sqlite", "sqlite3", "curl", "posix");

    @TempDir
    Path dir;

    private static int run(Path log, Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish: " + Files.readString(log));
        }
        return p.exitValue();
    }

    private static RawClient.Response read(FerryHarness ferry, String path, String cookie) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: site.test\r\nUser-Agent: Mozilla/5.0\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n");
            return c.read();
        }
    }

    @Test
    void anEditMakesMediaWikiPurgeFerryAndReadersGetTheNewText() throws Exception {
        Path conf = dir.resolve("LocalSettings.php");
        assertEquals(0, run(dir.resolve("install.log"), Map.of(), "php", MEDIAWIKI.resolve("maintenance/install.php").toString(),
                "--dbtype", "sqlite", "--dbpath", dir.resolve("db").toString(), "--dbname", "wiki",
                "--server", "http://site.test", "--scriptpath", "", "--confpath", dir.toString(),
                "--pass", "correct-horse-battery-staple", "--lang", "en", "Test Wiki", "Admin"),
                () -> "install.php failed: " + read(dir.resolve("install.log")));
        Map<String, String> env = Map.of("MW_CONFIG_FILE", conf.toString());
        try (PhpFpm fpm = PhpFpm.onTcp(dir, 4, EXTENSIONS, env);
             FerryHarness ferry = FerryHarness.site("""
                     backends.wiki {
                       type = fastcgi
                       servers = [ "%s" ]
                       max-conns = 4
                       fastcgi {
                         document-root = "%s"
                         try-files = [ "$uri", "$uri/", "/index.php?$args" ]
                         symlinks-outside-root = true
                       }
                     }
                     routes = [ { host = "site.test", backend = wiki } ]
                     cache { enabled = true, anonymous.preset = mediawiki, purge.allow = [ "127.0.0.1/32" ] }
                     """.formatted(fpm.serverAddress(), MEDIAWIKI))) {
            Files.writeString(conf, """

                    $wgUseCdn = true;
                    $wgCdnServers = [ "127.0.0.1:%d" ];
                    $wgCdnMaxAge = 3600;
                    $wgUsePathInfo = true;
                    """.formatted(ferry.port()), java.nio.file.StandardOpenOption.APPEND);
            String page = "/index.php/Main_Page";
            RawClient.Response first = read(ferry, page, null);
            assertEquals(200, first.status(), first.bodyText());
            RawClient.Response second = read(ferry, page, "wikimwuser-sessionId=a1b2c3; wikihidetoc=0; _ga=GA1.2.3");
            assertEquals("HIT", second.header("x-cache"), "an anonymous reader with MediaWiki's script cookies: a hit ("
                    + second.header("cache-control") + ")");

            long purgedBefore = ferry.server().cache().stats().purged();
            Path text = dir.resolve("new-text.txt");
            Files.writeString(text, "Ferry served this page after MediaWiki purged it.");
            assertEquals(0, run(dir.resolve("edit.log"), env, "sh", "-c", "php " + MEDIAWIKI.resolve("maintenance/edit.php")
                    + " --user Admin --summary test Main_Page < " + text), () -> "edit.php failed: " + read(dir.resolve("edit.log")));
            Eventually.until("MediaWiki's PURGE reached Ferry and readers get the new text",
                    () -> read(ferry, page, null).bodyText().contains("Ferry served this page after MediaWiki purged it."));
            assertTrue(ferry.server().cache().stats().purged() > purgedBefore, "removed by MediaWiki's own PURGE");
            assertTrue(read(ferry, page, "wikihidetoc=0").header("x-cache").equals("HIT"), "cached again");
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
