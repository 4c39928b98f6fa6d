package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigError;
import io.ferry.config.ConfigLoader;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.Eventually;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reloads while requests run: nothing is dropped, new requests move to the new backends. */
class HitlessReloadTest {
    @TempDir
    Path dir;

    private static String config(int originPort) {
        return FerryHarness.siteConfig("""
                backends.app.servers = [ "127.0.0.1:%d" ]
                routes = [ { backend = app } ]
                admin { enabled = true, bind = "127.0.0.1", port = 0 }
                timeouts.shutdown = 2s
                """).formatted(originPort);
    }

    private static TestOrigin named(String name) {
        return TestOrigin.start(r -> {
            if (r.uri().equals("/slow")) {
                try {
                    Thread.sleep(600);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return TestOrigin.Reply.ok(name);
        });
    }

    private static HttpResponse<String> adminReload(FerryServer server) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.adminPort() + "/reload"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void reloadsUnderLoadWithoutDroppingAConnection() throws Exception {
        Path file = dir.resolve("ferry.conf");
        try (TestOrigin a = named("a"); TestOrigin b = named("b")) {
            Files.writeString(file, config(a.port()));
            FerryServer server = FerryServer.start(ConfigLoader.load(file));
            ExecutorService pool = Executors.newFixedThreadPool(5);
            try {
                int port = server.port("http");
                AtomicBoolean stop = new AtomicBoolean();
                List<String> problems = new CopyOnWriteArrayList<>();
                Map<String, Integer> seen = new ConcurrentHashMap<>();
                List<Future<?>> clients = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    clients.add(pool.submit(() -> {
                        try (RawClient c = new RawClient(port)) {
                            for (int i = 0; i < 2000 && !stop.get(); i++) {
                                c.send("GET /r" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                                RawClient.Response r = c.read();
                                if (r.status() != 200) {
                                    problems.add("status " + r.status());
                                }
                                seen.merge(r.bodyText(), 1, Integer::sum);
                            }
                        } catch (Exception e) {
                            problems.add(e.toString());
                        }
                        return null;
                    }));
                }
                Future<RawClient.Response> inFlight = pool.submit(() -> {
                    try (RawClient c = new RawClient(port)) {
                        c.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
                        return c.read();
                    }
                });
                Eventually.until("50 requests at a", () -> a.requests().size() >= 50);
                Files.writeString(file, config(b.port()));
                HttpResponse<String> reloaded = adminReload(server);
                assertEquals(200, reloaded.statusCode(), reloaded.body());
                int bBefore = b.requests().size();
                Eventually.until("50 more requests at b", () -> b.requests().size() >= bBefore + 50);
                Files.writeString(file, config(a.port()));
                server.reloadFromSource();
                Files.writeString(file, "ferry { listeners = [ ] }");
                HttpResponse<String> rejected = adminReload(server);
                assertEquals(400, rejected.statusCode());
                assertTrue(rejected.body().contains("ferry.listeners"), rejected.body());
                int aAfter = a.requests().size();
                Eventually.until("traffic still flowing after the refused reload", () -> a.requests().size() >= aAfter + 20);
                stop.set(true);
                for (Future<?> f : clients) {
                    f.get(30, TimeUnit.SECONDS);
                }
                assertTrue(problems.isEmpty(), "requests failed across reloads: " + problems);
                assertTrue(seen.getOrDefault("a", 0) > 0 && seen.getOrDefault("b", 0) > 0, "traffic moved: " + seen);
                RawClient.Response slow = inFlight.get(10, TimeUnit.SECONDS);
                assertEquals(200, slow.status());
                assertEquals("a", slow.bodyText(), "the in-flight request finished on the old backend");
            } finally {
                pool.shutdownNow();
                server.shutdown();
            }
        }
    }

    @Test
    void aListenerThatCannotBeOpenedRefusesTheReloadAndTheOldConfigKeepsServing() throws Exception {
        Path file = dir.resolve("ferry.conf");
        try (TestOrigin a = named("a"); java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Files.writeString(file, config(a.port()));
            FerryServer server = FerryServer.start(ConfigLoader.load(file));
            try {
                Files.writeString(file, config(a.port()).replace("port = 0 } ]", "port = 0 }, { name = more, "
                        + "bind = \"127.0.0.1\", port = " + taken.getLocalPort() + " } ]"));
                ConfigError e = assertThrows(ConfigError.class, server::reloadFromSource);
                assertEquals("ferry.listeners[1]", e.key(), e.getMessage());
                assertEquals(java.util.Set.of("http"), server.listenerAddresses().keySet(), "nothing changed");
                try (RawClient c = new RawClient(server.port("http"))) {
                    c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals("a", c.read().bodyText());
                }
            } finally {
                server.shutdown();
            }
        }
    }
}
