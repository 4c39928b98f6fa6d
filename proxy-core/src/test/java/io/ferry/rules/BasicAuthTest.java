package io.ferry.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Basic auth against a user file made by Apache's htpasswd -B (bcrypt), as a site would make it: 401
 * with the realm, the right password through (its Authorization passed on to the backend), a wrong one
 * refused, the rules after the auth rule still applied, and a reload re-reading the file.
 */
@Tag("external")
class BasicAuthTest {
    @TempDir
    Path dir;

    private static void htpasswd(Path file, boolean create, String user, String password) throws Exception {
        Process p = new ProcessBuilder("htpasswd", create ? "-cbB" : "-bB", "-C", "5", file.toString(), user, password)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "htpasswd: " + out);
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String user, String password) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            String auth = user == null ? "" : "Authorization: Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)) + "\r\n";
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n" + auth + "\r\n").read();
        }
    }

    @Test
    void staffPagesAskForAPasswordFromAnHtpasswdFile() throws Exception {
        Path users = dir.resolve("htpasswd");
        htpasswd(users, true, "editor", "s3cret pass");
        assertTrue(Files.readString(users).startsWith("editor:$2y$05$"), Files.readString(users));
        Path conf = dir.resolve("ferry.conf");
        try (TestOrigin origin = TestOrigin.echoUri()) {
            Files.writeString(conf, FerryHarness.siteConfig("""
                    backends.app.servers = [ "127.0.0.1:%d" ]
                    routes = [ { backend = app } ]
                    timeouts.shutdown = 1s
                    rules.auth.staff { file = "%s", realm = "Staff only" }
                    rules.request = [
                      { if { path-prefix = "/admin/" }, auth = staff, set-header { X-Checked = "yes" } }
                      { if { path-prefix = "/admin/" }, add-header { X-After = "the rules go on" } }
                    ]
                    """).formatted(origin.port(), users));
            try (FerryHarness ferry = FerryHarness.startFile(conf)) {
                RawClient.Response asked = get(ferry, "/admin/", null, null);
                assertEquals(401, asked.status());
                assertEquals("Basic realm=\"Staff only\", charset=\"UTF-8\"", asked.header("WWW-Authenticate"));
                assertEquals(401, get(ferry, "/admin/", "editor", "wrong").status());
                assertEquals(401, get(ferry, "/admin/", "nobody", "s3cret pass").status());
                assertTrue(origin.requests().isEmpty());

                RawClient.Response in = get(ferry, "/admin/", "editor", "s3cret pass");
                assertEquals(200, in.status());
                TestOrigin.Received seen = origin.requests().get(0);
                assertTrue(seen.headers().get("Authorization").startsWith("Basic "), "passed on to the backend");
                assertEquals("yes", seen.headers().get("X-Checked"), "the auth rule's own edits run after the check");
                assertEquals("the rules go on", seen.headers().get("X-After"));
                assertEquals(200, get(ferry, "/admin/", "editor", "s3cret pass").status(), "remembered: no bcrypt");
                assertEquals(200, get(ferry, "/public", null, null).status());

                htpasswd(users, false, "second", "another one");
                ferry.server().reloadFromSource();
                assertEquals(200, get(ferry, "/admin/", "second", "another one").status(), "the reload re-read the file");
                assertEquals(200, get(ferry, "/admin/", "editor", "s3cret pass").status());
            }
        }
    }

    @Test
    void aFileWithoutBcryptHashesStopsTheConfigWithItsLine() throws Exception {
        Path users = Files.writeString(dir.resolve("htpasswd"), "# staff\nalice:$apr1$abc$0123456789abcdefghijkl\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.ferry.config.ConfigError.class,
                () -> io.ferry.config.ConfigLoader.parse(FerryHarness.siteConfig("""
                        backends.app.servers = [ "127.0.0.1:1" ]
                        routes = [ { backend = app } ]
                        rules.auth.staff.file = "%s"
                        """.formatted(users)), dir));
        assertEquals("ferry.rules.auth.staff.file", e.key());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
