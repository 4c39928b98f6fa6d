package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import io.ferry.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A hundred streams at once on one connection, their responses from empty to several frames long:
 * the frames Ferry batches into one buffer per flush (HEADERS, DATA headers, small bodies) and the large
 * DATA it passes as they are must reach the client whole, each stream's bytes in order.
 */
class ManyStreamsTest {
    private static final int[] SIZES = {0, 1, 9, 1000, 4095, 4096, 4097, 16384, 16385, 40000};

    static byte[] body(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    /** {@code /b/<size>/<seed>}: that many bytes of the seed's pattern. */
    private static TestOrigin.Reply sizedReply(TestOrigin.Received r) {
        String[] p = r.uri().split("/");
        return new TestOrigin.Reply(200, Map.of("Content-Type", "application/octet-stream"),
                body(Integer.parseInt(p[2]), Integer.parseInt(p[3])));
    }

    /**
     * A response head whose HPACK block is larger than the client's frame size goes out as HEADERS and
     * CONTINUATION frames (the client refuses any frame over 16 KiB), and the connection's HPACK context
     * stays in step for the heads after it.
     */
    @Test
    void aResponseHeadLargerThanAFrameArrivesInContinuationFrames() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 28_000; i++) {
            b.append((char) ('A' + (i * 7 + i / 26) % 26)); // capitals: 5 to 7 bits each in Huffman, ~23 KB
        }
        String big = b.toString();
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200,
                        Map.of("Content-Type", "text/plain", "X-Big", big), "ok".getBytes(StandardCharsets.US_ASCII)));
                FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
                RawH2Client c = RawH2Client.connect(ferry.port())) {
            for (int i = 0; i < 3; i++) {
                int id = c.request(RawH2Client.get("/big/" + i), true);
                RawH2Client.Response r = c.response(id, 20);
                assertNull(r.resetCode(), "stream " + id);
                assertEquals(200, r.status());
                assertEquals(big, String.valueOf(r.headers().get("x-big")));
                assertEquals("ok", r.bodyText());
            }
        }
    }

    @Test
    void everyStreamGetsItsWholeBodyWhenAHundredAreAnsweredTogether() throws Exception {
        try (TestOrigin origin = TestOrigin.start(ManyStreamsTest::sizedReply);
                FerryHarness ferry = FerryHarness.proxyTo("", origin.port());
                RawH2Client c = RawH2Client.connect(ferry.port())) {
            int[] ids = new int[100];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.request(RawH2Client.get("/b/" + SIZES[i % SIZES.length] + "/" + i), true);
            }
            for (int i = 0; i < ids.length; i++) {
                RawH2Client.Response r = c.response(ids[i], 20);
                assertNull(r.resetCode(), "stream " + ids[i]);
                assertEquals(200, r.status());
                assertArrayEquals(body(SIZES[i % SIZES.length], i), r.body(), "stream " + ids[i]);
            }
        }
    }
}
