package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import io.ferry.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 attacks, one test each, on budgets made small: the connection ends with GOAWAY
 * ENHANCE_YOUR_CALM (or the stream gets the answer the RFC gives), the protection is counted in
 * ferry_http2_protections_total, and the backend receives nothing it should not.
 */
@Tag("slow")
class ProtectionsTest {
    private static final long ENHANCE_YOUR_CALM = 0xb;
    private static TestOrigin origin;
    /** The backend of the attacks whose requests must never be forwarded; no other test sends it anything. */
    private static TestOrigin guarded;
    private static FerryHarness ferry;

    @BeforeAll
    static void start() {
        origin = TestOrigin.start(r -> r.uri().startsWith("/hang") ? null
                : r.uri().startsWith("/big") ? new TestOrigin.Reply(200, Map.of(), new byte[256 * 1024])
                : TestOrigin.Reply.ok("ok " + r.uri()));
        guarded = TestOrigin.start(r -> r.uri().startsWith("/guarded/hang") ? null : TestOrigin.Reply.ok("ok " + r.uri()));
        ferry = FerryHarness.proxyTo("""
                backends.app.max-conns = 1
                # One request at a time, in order: a marker answered after an attack went after anything it let through.
                backends.guarded { servers = [ "127.0.0.1:%d" ], max-conns = 1 }
                routes = [ { path = "/guarded/", backend = guarded }, { backend = app } ]
                timeouts.client = 1s
                http2 {
                  max-concurrent-streams = 5
                  max-header-list-size = 4k
                  max-resets = 20
                  max-control-frames = 100
                  max-continuation-frames = 8
                  max-empty-data-frames = 4
                }
                """.formatted(guarded.port()), origin.port());
    }

    @AfterAll
    static void stop() {
        ferry.close();
        origin.close();
        guarded.close();
    }

    /**
     * Sends a marker request to the guarded backend, then checks what it received besides markers. The backend
     * serves one request at a time (max-conns 1, its queue in order), and an attack's requests entered it before
     * Ferry answered the attack, so anything the attack let through reached the origin before the marker's
     * answer came back. Returns the backend's requests other than markers.
     */
    private static List<String> guardedBackendRequestsAfterAMarker(String attack) throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            int id = c.request(RawH2Client.get("/guarded/marker/" + attack), true);
            assertEquals(200, c.response(id, 5).status(), "the marker is answered");
        }
        return guarded.requests().stream().map(TestOrigin.Received::uri)
                .filter(u -> !u.startsWith("/guarded/marker/")).toList();
    }

    private static void assertNothingForwarded(String attack) throws Exception {
        List<String> forwarded = guardedBackendRequestsAfterAMarker(attack);
        assertTrue(forwarded.stream().noneMatch(u -> u.startsWith("/guarded/" + attack)),
                "the backend received nothing of the attack: " + forwarded);
    }

    private double protections(String kind) {
        String line = "ferry_http2_protections_total{kind=\"" + kind + "\",listener=\"http\"} ";
        for (String l : ferry.server().metrics().scrape().split("\n")) {
            if (l.startsWith(line)) {
                return Double.parseDouble(l.substring(line.length()));
            }
        }
        return 0;
    }

    private void assertCalmedDown(RawH2Client c, String kind, double before) throws InterruptedException {
        RawH2Client.Frame goAway = c.goAway(5);
        assertNotNull(goAway, "GOAWAY");
        assertEquals(ENHANCE_YOUR_CALM, goAway.errorCode());
        assertEquals(before + 1, protections(kind), kind + " counted");
    }

    @Test
    void maxConcurrentStreamsIsAdvertisedAndEnforced() throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            RawH2Client.Frame settings = c.next(0, 5);
            assertEquals(RawH2Client.SETTINGS, settings.type());
            assertEquals(5L, setting(settings.payload(), 0x3), "SETTINGS_MAX_CONCURRENT_STREAMS");
            int[] ids = new int[6];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.request(RawH2Client.get("/hang/" + i), true);
            }
            assertEquals(7L, c.response(ids[5], 5).resetCode(), "the sixth stream is refused (REFUSED_STREAM)");
        }
    }

    private static long setting(byte[] payload, int id) {
        for (int at = 0; at + 6 <= payload.length; at += 6) {
            if (((payload[at] & 0xff) << 8 | payload[at + 1] & 0xff) == id) {
                return (payload[at + 2] & 0xffL) << 24 | (payload[at + 3] & 0xff) << 16 | (payload[at + 4] & 0xff) << 8
                        | payload[at + 5] & 0xff;
            }
        }
        return -1;
    }

    @Test
    void aHeaderListOverTheLimitIsAnswered431() throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            List<String[]> h = RawH2Client.get("/large-head");
            h.add(new String[] {"x-large", "a".repeat(4400)});
            int id = c.request(h, true);
            assertEquals(431, c.response(id, 5).status());
            int next = c.request(RawH2Client.get("/after"), true);
            assertEquals(200, c.response(next, 5).status(), "the connection goes on");
        }
        // No wait: the backend has one connection (max-conns 1), served in order, so a forwarded /large-head
        // would have reached the origin before /after was answered.
        assertTrue(origin.requests().stream().noneMatch(r -> r.uri().equals("/large-head")), "never forwarded");
        assertTrue(origin.requests().stream().anyMatch(r -> r.uri().equals("/after")));
    }

    @Test
    void rapidResetEndsTheConnectionAndResetStreamsCostTheBackendNothing() throws Exception {
        double before = protections("rapid_reset");
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            for (int i = 0; i < 50; i++) {
                int id = c.request(RawH2Client.get("/guarded/hang/reset-" + i), true);
                c.rst(id, 0x8);
            }
            assertCalmedDown(c, "rapid_reset", before);
        }
        // max-conns is 1: at most the first stream got the slot before its reset; the rest never left the queue.
        // One left in it wrongly would take the slot before the marker and hang until the connection's close.
        long reached = guardedBackendRequestsAfterAMarker("hang").stream().filter(u -> u.startsWith("/guarded/hang/reset-"))
                .count();
        assertTrue(reached <= 1, "reset streams reached the backend: " + reached);
    }

    @Test
    void continuationFloodOfSmallFramesEndsTheConnection() throws Exception {
        double before = protections("continuation_flood");
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            c.awaitSettingsAcknowledged(5); // no ACK in the middle of the block below
            int id = c.nextStreamId();
            c.frame(RawH2Client.HEADERS, 0, id, RawH2Client.hpack(RawH2Client.get("/guarded/flood")));
            byte[] oneField = RawH2Client.hpack(List.<String[]>of(new String[] {"x-a", "1"}));
            for (int i = 0; i < 50 && !c.closedByServer(); i++) {
                c.frame(RawH2Client.CONTINUATION, 0, id, oneField);
            }
            assertCalmedDown(c, "continuation_flood", before);
        } catch (java.net.SocketException closedWhileWriting) {
            assertEquals(before + 1, protections("continuation_flood"));
        }
        assertNothingForwarded("flood");
    }

    @Test
    void aHeaderBlockIsBoundedInBytesWhileItArrives() throws Exception {
        double before = protections("header_list_size");
        String seen = "";
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            c.awaitSettingsAcknowledged(5); // no ACK in the middle of the block below
            int id = c.nextStreamId();
            c.frame(RawH2Client.HEADERS, 0, id, RawH2Client.hpack(RawH2Client.get("/guarded/flood")));
            byte[] big = RawH2Client.hpack(List.<String[]>of(new String[] {"x-big", "b".repeat(9000)}));
            int sent = 0;
            for (; sent < 20 && !c.closedByServer(); sent++) {
                c.frame(RawH2Client.CONTINUATION, 0, id, big);
            }
            RawH2Client.Frame goAway = c.goAway(5);
            seen = sent + " CONTINUATION frames sent, GOAWAY " + (goAway == null ? "none" : goAway.errorCode());
            // The GOAWAY may be lost to the reset that answers the flood still arriving; the count is not.
            assertTrue(goAway != null && goAway.errorCode() != 0 || c.closedByServer());
        } catch (java.net.SocketException closedWhileWriting) {
            // the server cut the connection while the flood was still being written
            seen = seen + "; cut while writing: " + closedWhileWriting.getMessage();
        }
        // what a failure needs to be understood: the client's side and every protection counted so far
        String counted = seen + "; " + ferry.server().metrics().scrape().lines()
                .filter(l -> l.startsWith("ferry_http2_protections_total")).toList();
        assertEquals(before + 1, protections("header_list_size"), counted);
        assertNothingForwarded("flood");
    }

    @Test
    void pingFlood() throws Exception {
        flood("PING", c -> c.frame(RawH2Client.PING, 0, 0, new byte[8]));
    }

    @Test
    void settingsFlood() throws Exception {
        flood("SETTINGS", c -> c.frame(RawH2Client.SETTINGS, 0, 0, new byte[0]));
    }

    @Test
    void priorityFlood() throws Exception {
        flood("PRIORITY", c -> c.frame(RawH2Client.PRIORITY, 0, 1, new byte[] {0, 0, 0, 0, 16}));
    }

    @Test
    void tinyWindowUpdateFlood() throws Exception {
        flood("WINDOW_UPDATE", c -> c.windowUpdate(0, 1));
    }

    private interface FrameWriter {
        void write(RawH2Client c) throws Exception;
    }

    private void flood(String what, FrameWriter writer) throws Exception {
        double before = protections("control_flood");
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            for (int i = 0; i < 300 && !c.closedByServer(); i++) {
                writer.write(c);
            }
            assertCalmedDown(c, "control_flood", before);
        } catch (java.net.SocketException closedWhileWriting) {
            assertEquals(before + 1, protections("control_flood"), what);
        }
    }

    /**
     * Closing while the client's flood is still arriving would answer it with a TCP reset, and a reset can
     * destroy the GOAWAY still in the server's send queue: the close lingers (output shut, input read and
     * dropped), so a client still writing meets no reset, and what it sends after the error is never decoded
     * (counted once, no PING answered past the budget).
     */
    @Test
    void afterAFloodTheCloseLingersAndWhatFollowsIsDropped() throws Exception {
        double before = protections("control_flood");
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            c.repeated(20_000, RawH2Client.PING, 0, 0, new byte[8]);
            assertCalmedDown(c, "control_flood", before);
            for (int i = 0; i < 200; i++) {
                c.frame(RawH2Client.PING, 0, 0, new byte[8]); // a reset would fail one of these writes
            }
            c.repeated(20_000, RawH2Client.PING, 0, 0, new byte[8]);
            long acks = c.framesOn(0).stream().filter(f -> f.type() == RawH2Client.PING).count();
            assertTrue(acks <= 100, "PINGs answered past the budget: " + acks);
            assertEquals(before + 1, protections("control_flood"), "counted once");
        }
    }

    @Test
    void emptyDataFloodEndsTheConnection() throws Exception {
        double before = protections("empty_data_flood");
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            List<String[]> h = RawH2Client.get("/hang/empty-data");
            h.set(0, new String[] {":method", "POST"});
            int id = c.request(h, false);
            for (int i = 0; i < 20 && !c.closedByServer(); i++) {
                c.data(id, new byte[0], false);
            }
            assertCalmedDown(c, "empty_data_flood", before);
        }
    }

    @Test
    void aStreamIdlingWithAZeroWindowIsResetAndOthersGoOn() throws Exception {
        double before = protections("idle_stream");
        // Every stream starts with a window of 0: nothing of a response may be sent until the client opens it.
        try (RawH2Client c = RawH2Client.connect(ferry.port(), Map.of(0x4, 0L))) {
            int stuck = c.request(RawH2Client.get("/big/stuck"), true);
            c.stall(stuck);
            RawH2Client.Response r = c.response(stuck, 10);
            assertEquals(200, r.status(), "the head needs no window");
            assertEquals(0, r.body().length);
            assertEquals(8L, r.resetCode(), "reset (CANCEL) after timeouts.client without progress");
            assertEquals(before + 1, protections("idle_stream"));
            int open = c.request(RawH2Client.get("/big/open"), true);
            c.windowUpdate(open, 1 << 20);
            RawH2Client.Response ok = c.response(open, 10);
            assertNull(ok.resetCode());
            assertEquals(256 * 1024, ok.body().length, "the connection goes on");
        }
    }

    @Test
    void gracefulShutdownSendsGoAwayAndLetsStreamsInFlightFinish() throws Exception {
        try (TestOrigin slow = TestOrigin.start(r -> TestOrigin.Reply.ok("finished " + r.uri()))) {
            slow.delayReplies(700);
            FerryHarness own = FerryHarness.proxyTo("", slow.port());
            Thread closer = new Thread(own::close);
            try (RawH2Client c = RawH2Client.connect(own.port())) {
                int id = c.request(RawH2Client.get("/in-flight"), true);
                Eventually.until("/in-flight at the origin", () -> !slow.requests().isEmpty());
                closer.start();
                RawH2Client.Frame goAway = c.goAway(5);
                assertNotNull(goAway, "GOAWAY on shutdown");
                assertEquals(0L, goAway.errorCode(), "NO_ERROR");
                RawH2Client.Response r = c.response(id, 5);
                assertEquals(200, r.status());
                assertEquals("finished /in-flight", new String(r.body(), StandardCharsets.UTF_8),
                        "reset " + r.resetCode() + ", head " + r.headers());
            }
            closer.join(10_000);
        }
    }
}
