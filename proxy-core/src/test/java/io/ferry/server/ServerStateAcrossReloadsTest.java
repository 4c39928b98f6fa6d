package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reload (SIGHUP, admin /reload) and a restart with a state file must not forget about servers:
 * an operator's drain, a DOWN verdict, servers added over the admin API, and the requests in flight
 * that count against max-conns.
 */
class ServerStateAcrossReloadsTest {
    @TempDir
    Path dir;

    private Path config(String backend, String global, int... ports) throws Exception {
        StringBuilder servers = new StringBuilder();
        for (int p : ports) {
            servers.append(servers.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
        }
        Path file = dir.resolve("ferry.conf");
        Files.writeString(file, FerryHarness.siteConfig("""
                global { %s }
                backends.app { servers = [ %s ], %s }
                routes = [ { backend = app } ]
                admin { enabled = true, bind = "127.0.0.1", port = 0 }
                timeouts.shutdown = 1s
                """).formatted(global, servers, backend));
        return file;
    }

    private static RawClient.Response admin(FerryHarness ferry, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.server().adminPort())) {
            c.send("POST " + path + " HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
            return c.read();
        }
    }

    private static RawClient.Response request(FerryHarness ferry, String method, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send(method + " " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            return c.read();
        }
    }

    private static ServerPool server(FerryHarness ferry, int port) {
        return ferry.server().backends().get("app").servers().stream()
                .filter(s -> s.name().equals("127.0.0.1:" + port)).findFirst().orElseThrow();
    }

    /** A server that answers "name" and fails its health check when {@code healthy} is false. */
    private static TestOrigin origin(String name, boolean healthy) {
        return TestOrigin.start(r -> r.uri().equals("/health")
                ? new TestOrigin.Reply(healthy ? 200 : 503, java.util.Map.of(), new byte[0])
                : TestOrigin.Reply.ok(name));
    }

    private static long served(TestOrigin o) {
        return o.requests().stream().filter(r -> !r.uri().equals("/health")).count();
    }

    @Test
    void aDrainedServerStaysDrainedAcrossAReload() throws Exception {
        try (TestOrigin a = origin("a", true); TestOrigin b = origin("b", true);
             FerryHarness ferry = FerryHarness.startFile(config("", "", a.port(), b.port()))) {
            assertEquals(200, admin(ferry, "/servers/drain?backend=app&server=127.0.0.1:" + a.port()).status());
            assertEquals(200, admin(ferry, "/reload").status());
            for (int i = 0; i < 6; i++) {
                assertEquals("b", request(ferry, "GET", "/x").bodyText());
            }
            assertTrue(server(ferry, a.port()).isDrained(), "the new configuration's pool knows it");
            assertEquals(0, served(a));
        }
    }

    @Test
    void aDownServerStaysDownAcrossAReloadAndGetsNoRequest() throws Exception {
        String checks = "health-check { path = \"/health\", interval = 100ms, timeout = 1s, rise = 1, fall = 1 }";
        try (TestOrigin a = origin("a", true); TestOrigin b = origin("b", false);
             FerryHarness ferry = FerryHarness.startFile(config(checks + ", retries = 0", "", a.port(), b.port()))) {
            Eventually.until("b marked DOWN", () -> !server(ferry, b.port()).isUp());
            long before = served(b);
            assertEquals(200, admin(ferry, "/reload").status());
            assertFalse(server(ferry, b.port()).isUp(), "still DOWN in the new configuration");
            for (int i = 0; i < 6; i++) {
                RawClient.Response r = request(ferry, "POST", "/form");
                assertEquals(200, r.status());
                assertEquals("a", r.bodyText());
            }
            assertEquals(before, served(b), "not one request reached the DOWN server");
        }
    }

    @Test
    void maxConnsHoldsAcrossAReloadUnderLoad() throws Exception {
        try (TestOrigin o = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.startFile(config("max-conns = 2", "", o.port()))) {
            o.hold();
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<RawClient.Response>> answers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    answers.add(clients.submit(() -> request(ferry, "GET", "/before")));
                }
                Backend old = ferry.server().backends().get("app");
                Eventually.until("2 at the server, 2 queued", () -> o.heldNow() == 2 && old.queueLength() == 2);
                assertEquals(200, admin(ferry, "/reload").status());
                Backend next = ferry.server().backends().get("app");
                for (int i = 0; i < 4; i++) {
                    answers.add(clients.submit(() -> request(ferry, "GET", "/after")));
                }
                Eventually.until("the new requests queued or sent",
                        () -> next.queueLength() + o.requests().size() >= 6 && next.queueLength() > 0);
                assertEquals(2, o.heldNow(), "the old configuration's requests still hold both slots");
                o.releaseHeld();
                for (Future<RawClient.Response> f : answers) {
                    assertEquals(200, f.get().status(), "every request served, the new queue woken by old slots");
                }
                assertEquals(2, o.mostHeldAtOnce(), "never more than max-conns at the server");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void serversAddedOrRemovedOverTheAdminApiSurviveAReload() throws Exception {
        try (TestOrigin a = origin("a", true); TestOrigin b = origin("b", true); TestOrigin c = origin("c", true);
             FerryHarness ferry = FerryHarness.startFile(config("", "", a.port(), b.port()))) {
            assertEquals(200, admin(ferry, "/servers/add?backend=app&server=127.0.0.1:" + c.port()).status());
            assertEquals(200, admin(ferry, "/servers/remove?backend=app&server=127.0.0.1:" + a.port()).status());
            assertEquals(200, admin(ferry, "/reload").status());
            List<String> names = ferry.server().backends().get("app").servers().stream().map(ServerPool::name).toList();
            assertEquals(List.of("127.0.0.1:" + b.port(), "127.0.0.1:" + c.port()), names);
        }
    }

    @Test
    void aStateFileKeepsDrainDownAndAddedServersAcrossARestart() throws Exception {
        Path state = dir.resolve("ferry.state");
        String global = "state-file = \"" + state + "\"";
        try (TestOrigin a = origin("a", true); TestOrigin b = origin("b", false); TestOrigin c = origin("c", true)) {
            String checks = "health-check { path = \"/health\", interval = 100ms, timeout = 1s, rise = 1, fall = 1 }";
            try (FerryHarness ferry = FerryHarness.startFile(config(checks, global, a.port(), b.port()))) {
                Eventually.until("b marked DOWN", () -> !server(ferry, b.port()).isUp());
                assertEquals(200, admin(ferry, "/servers/add?backend=app&server=127.0.0.1:" + c.port()).status());
                assertEquals(200, admin(ferry, "/servers/drain?backend=app&server=127.0.0.1:" + a.port()).status());
            }
            String saved = Files.readString(state);
            assertTrue(saved.contains("server app 127.0.0.1:" + a.port() + " drain up"), saved);
            assertTrue(saved.contains("server app 127.0.0.1:" + b.port() + " ready down"), saved);
            assertTrue(saved.contains("added app 127.0.0.1:" + c.port() + " 1"), saved);

            // b is healthy now, but a restarted Ferry must see it pass `rise` checks (30 s apart) first
            b.close();
            try (TestOrigin b2 = TestOrigin.startOn(b.port(), r -> TestOrigin.Reply.ok("b"))) {
                String slowRise = "health-check { path = \"/health\", interval = 30s, timeout = 1s, rise = 2, fall = 1 }";
                try (FerryHarness ferry = FerryHarness.startFile(config(slowRise, global, a.port(), b.port()))) {
                    assertTrue(server(ferry, a.port()).isDrained());
                    assertFalse(server(ferry, b.port()).isUp(), "starts DOWN");
                    for (int i = 0; i < 4; i++) {
                        assertEquals("c", request(ferry, "GET", "/x").bodyText(), "only the added server takes traffic");
                    }
                }
            }
        }
    }
}
