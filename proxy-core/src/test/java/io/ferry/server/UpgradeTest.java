package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryProcess;
import io.ferry.testing.KeepAliveLoad;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry --upgrade} (bin/ferry upgrade) under load: the new process takes the listening sockets and a copy
 * of the cache from the running one over global.handover-socket, the old one drains and exits. Counted on both
 * keepalive clients and clients opening a connection per request: not one connection refused, not one request
 * failed. The two processes carry different configurations (their Via pseudonym tells who answered), as a new
 * release would; each is its own JVM, as an operator runs them.
 */
class UpgradeTest {
    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Path config(String name, String via, int port, int admin, int origin, String extraListener) throws IOException {
        return config(name, via, "auto", port, admin, origin, extraListener);
    }

    private Path config(String name, String via, String transport, int port, int admin, int origin, String extraListener)
            throws IOException {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, """
                ferry {
                  global { via = %s, transport = %s, handover-socket = "%s", warm-up = 200ms }
                  listeners = [ { name = main, bind = "127.0.0.1", port = %d } %s ]
                  admin { enabled = true, bind = "127.0.0.1", port = %d }
                  access-log.enabled = false
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  cache.enabled = true
                  timeouts { shutdown = 20s, http-keep-alive = 2s }
                }
                """.formatted(via, transport, dir.resolve("ferry.sock"), port, extraListener, admin, origin));
        return file;
    }

    private static RawClient.Response get(int port, String path) throws IOException {
        try (RawClient c = new RawClient(port)) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").read();
        }
    }

    /** Clients that open a connection for each request: a refused or reset connection is counted. */
    private static final class ConnectionPerRequest implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private final LongAdder ok = new LongAdder();
        private final AtomicInteger refused = new AtomicInteger();
        private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stopped;

        ConnectionPerRequest(int port, int clients, long maxSeconds) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
            for (int i = 0; i < clients; i++) {
                Thread t = new Thread(() -> {
                    while (!stopped && System.nanoTime() < deadline) {
                        try (RawClient c = new RawClient(port)) {
                            RawClient.Response r = c.send("GET /fresh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                                    .read();
                            if (r.status() == 200) {
                                ok.increment();
                            } else {
                                failures.add("status " + r.status());
                            }
                        } catch (ConnectException e) {
                            refused.incrementAndGet();
                        } catch (IOException e) {
                            failures.add(e.toString());
                        }
                    }
                }, "connect-per-request-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }

    @Test
    void anUpgradeUnderLoadRefusesNothingAndKeepsTheCache() throws Exception {
        AtomicInteger cachedFetches = new AtomicInteger();
        try (TestOrigin origin = TestOrigin.start(r -> {
            if (r.uri().equals("/cached")) {
                cachedFetches.incrementAndGet();
                return new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=600"), "cached".getBytes());
            }
            return TestOrigin.Reply.ok("fresh");
        })) {
            int port = freePort();
            int admin = freePort();
            Path oldConfig = config("old", "old-release", port, admin, origin.port(), "");
            Path newConfig = config("new", "new-release", port, admin, origin.port(), "");
            FerryProcess old = FerryProcess.start(oldConfig, port);
            FerryProcess next = null;
            try {
                assertEquals("cached", get(port, "/cached").bodyText());
                assertTrue(get(port, "/fresh").header("Via").contains("old-release"));

                KeepAliveLoad keepAlive = new KeepAliveLoad(port, 4, 90, i -> "GET /fresh HTTP/1.1\r\nHost: t\r\n\r\n");
                ConnectionPerRequest churn = new ConnectionPerRequest(port, 4, 90);
                try {
                    waitForAnswers(keepAlive, churn, 200);
                    next = FerryProcess.upgrade(newConfig);
                    assertEquals(0, old.awaitExit(30), "the old process drains and exits by itself: " + old.output());
                    long answeredBefore = keepAlive.ok() + churn.ok.sum();
                    waitForAnswers(keepAlive, churn, answeredBefore + 200); // and the load goes on, on the new one
                } finally {
                    keepAlive.stop();
                    churn.close();
                }
                assertEquals(0, churn.refused.get(), "connections refused during the upgrade");
                assertEquals(List.of(), churn.failures.subList(0, Math.min(5, churn.failures.size())),
                        "new connections that failed");
                assertEquals(0, keepAlive.failed(), "keepalive requests that failed: " + keepAlive.someFailures());

                RawClient.Response after = get(port, "/cached");
                assertTrue(after.header("Via").contains("new-release"), "the new process answers: " + after.header("Via"));
                assertEquals("HIT", after.header("X-Cache"), "the cache came along");
                assertEquals(1, cachedFetches.get(), "fetched once, before the upgrade");
                assertEquals(200, get(admin, "/health").status(), "the admin listener was handed over too");
                assertTrue(next.output().contains("upgrade: taking over from process " + old.pid()), next.output());

                // The successor opened the hand-over socket: it can be upgraded in turn, here by one on the other
                // transport (io_uring hands over to epoll, or epoll to epoll where io_uring is unavailable).
                FerryProcess third = FerryProcess.upgrade(config("third", "third-release", "epoll", port, admin,
                        origin.port(), ""));
                assertEquals(0, next.awaitExit(30), next.output());
                next = third;
                assertTrue(get(port, "/fresh").header("Via").contains("third-release"));
                assertEquals("HIT", get(port, "/cached").header("X-Cache"));
            } finally {
                old.close();
                if (next != null) {
                    next.close();
                }
            }
        }
    }

    @Test
    void aSuccessorThatCannotStartLeavesTheRunningFerryAsItWas() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri(); ServerSocket taken = new ServerSocket(0)) {
            int port = freePort();
            int admin = freePort();
            Path running = config("running", "running", port, admin, origin.port(), "");
            Path broken = config("broken", "broken", port, admin, origin.port(),
                    ", { name = extra, bind = \"127.0.0.1\", port = " + taken.getLocalPort() + " }");
            try (FerryProcess old = FerryProcess.start(running, port)) {
                assertEquals(200, get(port, "/").status());
                IOException failed = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                        () -> FerryProcess.upgrade(broken));
                assertTrue(failed.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                        failed.getMessage());
                assertTrue(old.isAlive());
                RawClient.Response r = get(port, "/");
                assertEquals(200, r.status(), "the listening socket the successor had taken still works here");
                assertTrue(r.header("Via").contains("running"));

                try (FerryProcess next = FerryProcess.upgrade(running)) { // and a later upgrade still can
                    assertEquals(0, old.awaitExit(30), old.output());
                    assertNotEquals(old.pid(), next.pid());
                    assertEquals(200, get(port, "/").status());
                }
            }
            assertFalse(Files.exists(dir.resolve("ferry.sock")), "the last stop removes the hand-over socket");
        }
    }

    private static void waitForAnswers(KeepAliveLoad keepAlive, ConnectionPerRequest churn, long atLeast) {
        io.ferry.testing.Eventually.until(atLeast + " answers", 30, () -> keepAlive.ok() + churn.ok.sum() >= atLeast);
    }
}
