package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.ferry.upstream.Backend;
import org.junit.jupiter.api.Test;

/** max-conns per server, the bounded queue in front of it, its timeout, and waiters that leave. */
class QueueTest {

    private static String config(int port, String extra) {
        return FerryHarness.siteConfig("""
                backends.app { servers = [ { address = "127.0.0.1:%d", max-conns = 1 } ]
                  %s
                }
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                """).formatted(port, extra);
    }

    /** An origin that holds each request until the test releases them all. */
    private static TestOrigin held() throws InterruptedException {
        TestOrigin o = TestOrigin.start(r -> TestOrigin.Reply.ok("done " + r.uri()));
        o.hold();
        return o;
    }

    private static Backend app(FerryHarness ferry) {
        return ferry.server().backends().get("app");
    }

    @Test
    void requestsBeyondMaxConnsQueueAndAreServedInTurn() throws Exception {
        try (TestOrigin origin = held();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), ""));
             RawClient a = new RawClient(ferry.port());
             RawClient b = new RawClient(ferry.port());
             RawClient c = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/a at the server", () -> origin.heldNow() == 1);
            b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/b and /c queued", () -> app(ferry).queueLength() == 2);
            assertEquals(1, origin.requests().size(), "only one request at a time reaches the server");
            origin.releaseHeld();
            assertEquals("done /a", a.read().bodyText());
            assertEquals("done /b", b.read().bodyText());
            assertEquals("done /c", c.read().bodyText());
        }
    }

    @Test
    void queueTimeoutAnswers503() throws Exception {
        try (TestOrigin origin = held();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), "timeouts.queue = 200ms"));
             RawClient a = new RawClient(ferry.port());
             RawClient b = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/a at the server", () -> origin.heldNow() == 1);
            b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, b.read().status());
            origin.releaseHeld();
            assertEquals(200, a.read().status());
        }
    }

    @Test
    void fullQueueAnswers503AtOnce() throws Exception {
        try (TestOrigin origin = held();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), "max-queue = 0"));
             RawClient a = new RawClient(ferry.port());
             RawClient b = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/a at the server", () -> origin.heldNow() == 1);
            b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, b.read().status());
            origin.releaseHeld();
            assertEquals(200, a.read().status());
        }
    }

    @Test
    void aWaiterThatLeavesDoesNotSwallowTheSlot() throws Exception {
        try (TestOrigin origin = held();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), ""));
             RawClient a = new RawClient(ferry.port());
             RawClient c = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/a at the server", () -> origin.heldNow() == 1);
            try (RawClient leaver = new RawClient(ferry.port())) {
                leaver.send("GET /gone HTTP/1.1\r\nHost: t\r\n\r\n");
                Eventually.until("/gone queued", () -> app(ferry).queueLength() == 1);
            }
            Eventually.until("the departed waiter left the queue", () -> app(ferry).queueLength() == 0);
            c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/c queued", () -> app(ferry).queueLength() == 1);
            origin.releaseHeld();
            assertEquals("done /a", a.read().bodyText());
            assertEquals("done /c", c.read().bodyText(), "the live waiter got the slot");
            for (int i = 0; i < 3; i++) {
                c.send("GET /again" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status(), "no slot is stuck");
            }
            assertTrue(origin.requests().stream().noneMatch(r -> r.uri().equals("/gone")),
                    "the departed client's request was never sent");
        }
    }

    @Test
    void waitersThatLeaveGiveUpTheirPlaceInTheQueue() throws Exception {
        try (TestOrigin origin = held();
             FerryHarness ferry = FerryHarness.start(config(origin.port(), "max-queue = 2\ntimeouts.queue = 300ms"));
             RawClient a = new RawClient(ferry.port());
             RawClient timedOut = new RawClient(ferry.port());
             RawClient c = new RawClient(ferry.port())) {
            a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/a at the server", () -> origin.heldNow() == 1);
            try (RawClient leaver = new RawClient(ferry.port())) {
                leaver.send("GET /gone HTTP/1.1\r\nHost: t\r\n\r\n");
                timedOut.send("GET /late HTTP/1.1\r\nHost: t\r\n\r\n");
                Eventually.until("both queued", () -> app(ferry).queueLength() == 2);
            }
            assertEquals(503, timedOut.read().status(), "timeouts.queue");
            Eventually.until("neither the departed nor the timed-out waiter holds a place",
                    () -> app(ferry).queueLength() == 0);
            c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
            Eventually.until("/c queued", () -> app(ferry).queueLength() == 1);
            origin.releaseHeld();
            assertEquals("done /a", a.read().bodyText());
            assertEquals("done /c", c.read().bodyText(), "queued, not refused as if the queue were full");
        }
    }
}
