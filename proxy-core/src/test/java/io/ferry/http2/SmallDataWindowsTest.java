package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import io.ferry.testing.TestOrigin;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Small answers (up to 4 KiB of DATA) go straight into the connection's write batch when nothing waits
 * before them; they must be charged to the stream's and the connection's send windows exactly as the flow
 * controller charges the rest (RFC 9113 §6.9), and give way to it when a window is short. The client here
 * keeps windows closed and counts what arrives: never a byte past a window, every byte once it opens.
 */
class SmallDataWindowsTest {
    private static final int CONNECTION_WINDOW = 65_535; // RFC 9113 §6.9.2: not changed by SETTINGS

    /** {@code /b/<size>/<seed>}: that many bytes of the seed's pattern. */
    private static TestOrigin.Reply sizedReply(TestOrigin.Received r) {
        String[] p = r.uri().split("/");
        return new TestOrigin.Reply(200, Map.of("Content-Type", "application/octet-stream"),
                ManyStreamsTest.body(Integer.parseInt(p[2]), Integer.parseInt(p[3])));
    }

    /** A PING and its answer: the answer comes after every frame Ferry wrote before it read the PING. */
    private static void pingRoundTrip(RawH2Client c) throws Exception {
        c.frame(RawH2Client.PING, 0, 0, new byte[8]);
        RawH2Client.Frame f;
        do {
            f = c.next(0, 10);
        } while (f != null && f.type() != RawH2Client.PING);
        assertEquals(RawH2Client.PING, f == null ? -1 : f.type(), "the PING answered");
    }

    @Test
    void smallAnswersStopAtTheConnectionWindowAndFinishWhenItOpens() throws Exception {
        int streams = 80;
        int size = 1000; // 65 full answers fit the window, the 66th in part
        try (TestOrigin origin = TestOrigin.start(SmallDataWindowsTest::sizedReply);
                FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
                RawH2Client c = RawH2Client.connect(ferry.port())) {
            c.stall(0);
            int[] ids = new int[streams];
            for (int i = 0; i < streams; i++) {
                ids[i] = c.request(RawH2Client.get("/b/" + size + "/" + i), true);
            }
            Eventually.until("the connection's window is used up", () -> c.dataBytes() >= CONNECTION_WINDOW);
            Eventually.until("every response head arrived", () -> {
                for (int id : ids) {
                    if (c.framesOn(id).stream().noneMatch(f -> f.type() == RawH2Client.HEADERS)) {
                        return false;
                    }
                }
                return true;
            });
            pingRoundTrip(c); // whatever Ferry wrote with those heads is here now
            assertEquals(CONNECTION_WINDOW, c.dataBytes(), "DATA sent before the client opened its window");

            c.windowUpdate(0, streams * size - CONNECTION_WINDOW);
            for (int i = 0; i < streams; i++) {
                RawH2Client.Response r = c.response(ids[i], 20);
                assertNull(r.resetCode(), "stream " + ids[i]);
                assertArrayEquals(ManyStreamsTest.body(size, i), r.body(), "stream " + ids[i]);
            }
            assertEquals((long) streams * size, c.dataBytes());
        }
    }

    @Test
    void anAnswerLargerThanItsStreamWindowWaitsForTheWindow() throws Exception {
        int window = 500;
        try (TestOrigin origin = TestOrigin.start(SmallDataWindowsTest::sizedReply);
                FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
                RawH2Client c = RawH2Client.connect(ferry.port(), Map.of(0x4, (long) window))) {
            c.awaitSettingsAcknowledged(10);
            int id = c.nextStreamId();
            c.stall(id);
            c.headers(id, RawH2Client.get("/b/1000/7"), RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            Eventually.until("the stream's window is used up", () -> c.dataBytes() >= window);
            pingRoundTrip(c);
            assertEquals(window, c.dataBytes(), "DATA sent past the stream's window");

            c.windowUpdate(id, 1000 - window);
            RawH2Client.Response r = c.response(id, 20);
            assertNull(r.resetCode());
            assertArrayEquals(ManyStreamsTest.body(1000, 7), r.body());
        }
    }
}
