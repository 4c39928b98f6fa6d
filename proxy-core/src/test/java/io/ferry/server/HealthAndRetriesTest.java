package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Origins that fail on command: traffic shifts, retries happen only where they are safe (the origins
 * count what reached them), health checks take servers out and bring them back.
 */
@Tag("slow")
class HealthAndRetriesTest {

    private static String config(String backendExtra, int... ports) {
        StringBuilder servers = new StringBuilder();
        for (int p : ports) {
            servers.append(servers.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
        }
        return FerryHarness.siteConfig("""
                global.io-threads = 1
                backends.app { servers = [ %s ]
                  %s
                }
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                """).formatted(servers, backendExtra);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static RawClient.Response get(FerryHarness ferry, String method, String path) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send(method + " " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            return c.read();
        }
    }

    @Test
    void connectFailuresAreRetriedOnAnotherServerForAnyMethod() throws Exception {
        try (TestOrigin good = TestOrigin.start(r -> TestOrigin.Reply.ok("good"));
             FerryHarness ferry = FerryHarness.start(config("", closedPort(), good.port()))) {
            for (int i = 0; i < 6; i++) {
                RawClient.Response r = get(ferry, "POST", "/p" + i);
                assertEquals(200, r.status(), "request " + i);
                assertEquals("good", r.bodyText());
            }
            assertEquals(6, good.requests().size());
        }
    }

    @Test
    void timeoutIsRetriedForGetButNeverForPost() throws Exception {
        try (TestOrigin hanging = TestOrigin.start(r -> null);
             TestOrigin good = TestOrigin.start(r -> TestOrigin.Reply.ok("good"));
             FerryHarness ferry = FerryHarness.start(config("balance = uri-hash\ntimeouts.server = 300ms",
                     hanging.port(), good.port()))) {
            // Find a path that hashes to the hanging server.
            String path = null;
            for (int i = 0; i < 50 && path == null; i++) {
                RawClient.Response r = get(ferry, "GET", "/h" + i);
                assertEquals(200, r.status());
                if (hanging.requests().size() == 1) {
                    path = "/h" + i;
                }
            }
            assertTrue(path != null, "some path hashes to the hanging server");
            assertEquals(1, hanging.requests().size(), "the GET was retried elsewhere after the timeout");

            RawClient.Response post = get(ferry, "POST", path);
            assertEquals(504, post.status(), "a POST is not retried after the server may have acted on it");
            assertEquals(2, hanging.requests().size());
            assertEquals("POST", hanging.requests().get(1).method());
        }
    }

    @Test
    void resetBeforeTheResponseIsNotRetriedForPost() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        try (RawOrigin resetting = new RawOrigin((s, head) -> {
                seen.incrementAndGet();
                s.setSoLinger(true, 0);
                s.close();
                return false;
             });
             FerryHarness ferry = FerryHarness.start(config("passive-health.enabled = false", resetting.port()))) {
            assertEquals(502, get(ferry, "POST", "/order").status());
            assertEquals(1, seen.get(), "POST sent once");
            assertEquals(502, get(ferry, "GET", "/page").status());
            assertEquals(1 + 3, seen.get(), "GET tried 1 + retries (2) times");
        }
    }

    @Test
    void staleKeepaliveConnectionIsRetriedOnceOnAFreshOneEvenForPost() throws Exception {
        // Answers the first request of each connection, then closes the connection as soon as the
        // next request arrives, without answering: the race with a server's keepalive timeout.
        try (RawOrigin origin = new RawOrigin(new RawOrigin.Behaviour() {
                private final java.util.Map<java.net.Socket, Integer> perConnection = new java.util.concurrent.ConcurrentHashMap<>();

                @Override
                public boolean handle(java.net.Socket s, String head) throws IOException {
                    int n = perConnection.merge(s, 1, Integer::sum);
                    if (n > 1) {
                        return false;
                    }
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    s.getInputStream().readNBytes(length);
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    return true;
                }
             });
             FerryHarness ferry = FerryHarness.start(config("retries = 0", origin.port()))) {
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("POST /first HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
                assertEquals(200, c.read().status());
                c.send("POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz");
                RawClient.Response r = c.read();
                assertEquals(200, r.status(), "retried on a fresh connection with the body replayed");
            }
            assertEquals(3, origin.heads().size(), "first, second on the stale connection, second again");
        }
    }

    @Test
    void retryBudgetCapsRetriesAcrossRequests() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        try (RawOrigin resetting = new RawOrigin((s, head) -> {
                attempts.incrementAndGet();
                s.setSoLinger(true, 0);
                s.close();
                return false;
             });
             FerryHarness ferry = FerryHarness.start(config(
                     "retries = 1\nretry-budget = 0\npassive-health.enabled = false", resetting.port()))) {
            for (int i = 0; i < 20; i++) {
                assertEquals(502, get(ferry, "GET", "/x" + i).status());
            }
            // Each request tries once; with a zero budget only the fixed reserve of 10 retries is spent.
            assertEquals(20 + 10, attempts.get());
        }
    }

    @Test
    void passiveHealthTakesAFailingServerOutOfRotation() throws Exception {
        AtomicInteger badAttempts = new AtomicInteger();
        try (RawOrigin bad = new RawOrigin((s, head) -> {
                badAttempts.incrementAndGet();
                s.setSoLinger(true, 0);
                s.close();
                return false;
             });
             TestOrigin good = TestOrigin.start(r -> TestOrigin.Reply.ok("good"));
             FerryHarness ferry = FerryHarness.start(config(
                     "passive-health { failures = 3, cooldown = 1m }", bad.port(), good.port()))) {
            for (int i = 0; i < 30; i++) {
                assertEquals(200, get(ferry, "GET", "/g" + i).status());
            }
            assertEquals(3, badAttempts.get(), "after 3 consecutive failures the server is skipped");
        }
    }

    @Test
    void serverErrorsCountAsFailuresWhenConfigured() throws Exception {
        try (TestOrigin failing = TestOrigin.start(r -> new TestOrigin.Reply(500, java.util.Map.of(), new byte[0]));
             TestOrigin good = TestOrigin.start(r -> TestOrigin.Reply.ok("good"));
             FerryHarness ferry = FerryHarness.start(config(
                     "passive-health { failures = 2, cooldown = 1m, count-5xx = true }", failing.port(), good.port()))) {
            int errors = 0;
            for (int i = 0; i < 20; i++) {
                if (get(ferry, "GET", "/e" + i).status() == 500) {
                    errors++;
                }
            }
            assertEquals(2, errors, "a 500 is passed on (never retried), but two take the server out");
            assertEquals(2, failing.requests().size());
        }
    }

    @Test
    void serverClosingIdleKeepaliveConnectionsIsHarmless() throws Exception {
        // Answers, then closes the connection after 100 ms of idleness, as Apache's KeepAliveTimeout does.
        try (RawOrigin origin = new RawOrigin((s, head) -> {
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.setSoTimeout(100);
                return true;
             });
             FerryHarness ferry = FerryHarness.start(config("retries = 0", origin.port()));
             RawClient c = new RawClient(ferry.port())) {
            var pool = ferry.firstServer("app");
            for (int i = 0; i < 3; i++) {
                c.send("POST /p" + i + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
                assertEquals(200, c.read().status(), "request " + i);
                waitUntil(() -> pool.openConnections() == 0); // the server closed it; the pool saw the close
            }
            assertEquals(3, origin.heads().size(), "each request sent once, on a live connection");
        }
    }

    @Test
    void activeChecksTakeAServerOutAndBringItBack() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (TestOrigin a = TestOrigin.start(r -> r.uri().equals("/health")
                     ? new TestOrigin.Reply(healthy.get() ? 200 : 503, java.util.Map.of(), new byte[0])
                     : TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = FerryHarness.start(config(
                     "health-check { path = \"/health\", interval = 100ms, timeout = 500ms, rise = 2, fall = 2 }",
                     a.port(), b.port()))) {
            var health = ferry.firstServer("app").health();
            assertTrue(servesFrom(ferry, "a"), "a is in rotation while healthy");
            waitUntil(() -> health.checksPassed() >= 2);
            assertEquals(0, health.checksFailed());
            healthy.set(false);
            waitUntil(() -> !servesFrom(ferry, "a"));
            assertTrue(health.checksFailed() >= 2, "fall = 2: two failed checks counted, " + health.checksFailed());
            for (int i = 0; i < 10; i++) {
                assertEquals("b", get(ferry, "GET", "/x").bodyText(), "a is out after failing checks");
            }
            healthy.set(true);
            waitUntil(() -> servesFrom(ferry, "a"));
        }
    }

    @Test
    void backendWithNoHealthyServerAnswers503Promptly() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> r.uri().equals("/health")
                     ? new TestOrigin.Reply(500, java.util.Map.of(), new byte[0]) : TestOrigin.Reply.ok("a"));
             FerryHarness ferry = FerryHarness.start(config(
                     "health-check { path = \"/health\", interval = 50ms, rise = 1, fall = 1 }", a.port()))) {
            waitUntil(() -> get(ferry, "GET", "/").status() == 503);
            int before = a.requests().size();
            assertEquals(503, get(ferry, "GET", "/page").status());
            assertEquals(before, a.requests().size() - countHealthChecksSince(a, before),
                    "no request reached the down server");
        }
    }

    private static int countHealthChecksSince(TestOrigin origin, int from) {
        int n = 0;
        for (int i = from; i < origin.requests().size(); i++) {
            if (origin.requests().get(i).uri().equals("/health")) {
                n++;
            }
        }
        return n;
    }

    private static boolean servesFrom(FerryHarness ferry, String origin) throws IOException {
        for (int i = 0; i < 6; i++) {
            if (get(ferry, "GET", "/probe").bodyText().equals(origin)) {
                return true;
            }
        }
        return false;
    }

    /** The state changes waited for are timer-driven (checks, cooldowns): look until they happened. */
    private static void waitUntil(Eventually.Condition check) {
        Eventually.until("the health verdict", check);
    }
}
