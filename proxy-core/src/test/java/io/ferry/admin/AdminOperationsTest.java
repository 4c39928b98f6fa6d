package io.ferry.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin listener as operators use it: ACL and token, drain, status, metrics, logs. */
class AdminOperationsTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    private static RawClient.Response admin(FerryHarness ferry, String method, String path, String token) throws Exception {
        try (RawClient c = new RawClient(ferry.server().adminPort())) {
            c.send(method + " " + path + " HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n");
            return c.read();
        }
    }

    private static String get(FerryHarness ferry, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: site.test\r\nUser-Agent: probe/1.0\r\n\r\n");
            return c.read().bodyText();
        }
    }

    private FerryHarness ferry(String extra, int... ports) {
        StringBuilder servers = new StringBuilder();
        for (int p : ports) {
            servers.append(servers.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
        }
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.app.servers = [ %s ]
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                admin { enabled = true, bind = "0.0.0.0", port = 0, allow = [ "127.0.0.1/32" ], token = "%s" }
                %s
                """).formatted(servers, TOKEN, extra));
    }

    @Test
    void aclAndTokenGuardEveryEndpoint() throws Exception {
        try (TestOrigin o = TestOrigin.echoUri(); FerryHarness ferry = ferry("", o.port())) {
            assertEquals(200, admin(ferry, "GET", "/health", TOKEN).status());
            assertEquals(401, admin(ferry, "GET", "/health", null).status(), "no token");
            assertEquals(401, admin(ferry, "GET", "/metrics", "wrong-token-wrong-token").status());
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ferry.server().adminPort()));
                RawClient c = new RawClient(s);
                c.send("GET /health HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
                assertEquals(403, c.read().status(), "127.0.0.2 is outside admin.allow");
            }
            String config = admin(ferry, "GET", "/config", TOKEN).bodyText();
            assertTrue(config.contains("(redacted)"), config);
            assertFalse(config.contains(TOKEN), "the token never leaves");
            assertEquals("ready\n", admin(ferry, "GET", "/ready", TOKEN).bodyText());
        }
    }

    @Test
    void drainMovesTrafficAndEnableBringsItBack() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = ferry("", a.port(), b.port())) {
            String server = "127.0.0.1:" + a.port();
            assertEquals(200, admin(ferry, "POST", "/servers/drain?backend=app&server=" + server, TOKEN).status());
            for (int i = 0; i < 10; i++) {
                assertEquals("b", get(ferry, "/x"));
            }
            assertTrue(admin(ferry, "GET", "/status", TOKEN).bodyText().contains("\"state\":\"drained\""));
            assertEquals(200, admin(ferry, "POST", "/servers/enable?backend=app&server=" + server, TOKEN).status());
            boolean sawA = false;
            for (int i = 0; i < 10; i++) {
                sawA |= get(ferry, "/x").equals("a");
            }
            assertTrue(sawA, "back in rotation");
            assertEquals(404, admin(ferry, "POST", "/servers/drain?backend=app&server=nope:1", TOKEN).status());
        }
    }

    @Test
    void serversAddedAndRemovedAtRuntime() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = ferry("", a.port())) {
            assertEquals("a", get(ferry, "/"));
            RawClient.Response added = admin(ferry, "POST", "/servers/add?backend=app&server=127.0.0.1:" + b.port()
                    + "&weight=1", TOKEN);
            assertEquals(200, added.status(), added.bodyText());
            boolean sawB = false;
            for (int i = 0; i < 10; i++) {
                sawB |= get(ferry, "/").equals("b");
            }
            assertTrue(sawB, "the added server takes traffic");
            assertEquals(200, admin(ferry, "POST", "/servers/remove?backend=app&server=127.0.0.1:" + a.port(), TOKEN).status());
            for (int i = 0; i < 10; i++) {
                assertEquals("b", get(ferry, "/"));
            }
            assertEquals(400, admin(ferry, "POST", "/servers/remove?backend=app&server=127.0.0.1:" + b.port(), TOKEN).status(),
                    "the last server stays");
            assertEquals(400, admin(ferry, "POST", "/servers/add?backend=nope&server=127.0.0.1:1", TOKEN).status());
        }
    }

    @Test
    void metricsAndStatusAfterAKnownSequence() throws Exception {
        try (TestOrigin o = TestOrigin.start(r -> r.uri().equals("/missing")
                     ? new TestOrigin.Reply(404, Map.of(), new byte[0]) : TestOrigin.Reply.ok("ok"));
             FerryHarness ferry = ferry("global.io-threads = 1", o.port())) {
            for (int i = 0; i < 3; i++) {
                get(ferry, "/ok");
            }
            get(ferry, "/missing");
            String metrics = admin(ferry, "GET", "/metrics", TOKEN).bodyText();
            assertEquals(3.0, value(metrics, "ferry_requests_total{backend=\"app\",code=\"2xx\",listener=\"http\",route=\"*/\"}"), metrics);
            assertEquals(1.0, value(metrics, "ferry_requests_total{backend=\"app\",code=\"4xx\",listener=\"http\",route=\"*/\"}"));
            assertEquals(4.0, value(metrics, "ferry_request_duration_seconds_count{backend=\"app\"}"));
            assertEquals(1.0, value(metrics, "ferry_server_up{backend=\"app\",server=\"127.0.0.1:" + o.port() + "\"}"));
            assertEquals(4.0, value(metrics, "ferry_server_responses_total{backend=\"app\",server=\"127.0.0.1:" + o.port() + "\"}"));
            assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics");
            assertTrue(metrics.contains("ferry_netty_direct_memory_bytes"));
            String status = admin(ferry, "GET", "/status", TOKEN).bodyText();
            assertTrue(status.contains("\"requests\":4"), status);
            assertTrue(status.contains("\"idle_connections\":1"), status);
            assertEquals(1.0, value(metrics, "ferry_upstream_idle_connections{backend=\"app\",server=\"127.0.0.1:" + o.port() + "\"}"));
            assertTrue(status.contains("\"p99\":"), status);
        }
    }

    @Test
    void accessLogLinesAndReopenForLogrotate() throws Exception {
        Path log = dir.resolve("access.log");
        try (TestOrigin o = TestOrigin.echoUri();
             FerryHarness ferry = ferry("access-log { enabled = true, path = \"" + log + "\" }", o.port())) {
            get(ferry, "/first?x=1");
            List<String> lines = waitForLines(log, 1);
            String line = lines.get(0);
            Matcher m = Pattern.compile("^127\\.0\\.0\\.1 - - \\[[^]]+\\] \"GET /first\\?x=1 HTTP/1\\.1\" 200 \\d+ \"-\" "
                    + "\"probe/1\\.0\" 127\\.0\\.0\\.1:" + o.port() + " \\d+\\.\\d{3} \\d+\\.\\d{3} -$").matcher(line);
            assertTrue(m.matches(), line);

            Path rotated = dir.resolve("access.log.1");
            Files.move(log, rotated);
            assertEquals(200, admin(ferry, "POST", "/logs/reopen", TOKEN).status());
            Eventually.until("the log reopened at its path", () -> Files.exists(log));
            get(ferry, "/second");
            List<String> fresh = waitForLines(log, 1);
            assertTrue(fresh.get(0).contains("GET /second"), fresh.toString());
            assertEquals(1, Files.readAllLines(rotated).size(), "the rotated file kept its line");
        }
    }

    private static List<String> waitForLines(Path file, int n) {
        Eventually.until(n + " access log lines in " + file,
                () -> Files.exists(file) && Files.readAllLines(file).size() >= n);
        return readLines(file);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double value(String metrics, String series) {
        Map<String, Double> values = new HashMap<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("#") && line.contains(" ")) {
                int space = line.lastIndexOf(' ');
                values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        Double v = values.get(series);
        if (v == null) {
            throw new AssertionError("no series " + series);
        }
        return v;
    }
}
