package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113 §5.1 and §5.1.1, the stream states, as HAProxy applies them: a HEADERS frame on a stream the
 * client has half-closed is a stream error STREAM_CLOSED; on a stream that has closed, a connection error
 * STREAM_CLOSED; a new stream numbered below one already used, a connection error PROTOCOL_ERROR. And a
 * request whose DATA overruns its content-length is reset even when the backend has already answered,
 * and the backend connection it was streaming on is not used again.
 */
class StreamStatesTest {
    private static final long PROTOCOL_ERROR = 0x1;
    private static final long STREAM_CLOSED = 0x5;
    private static TestOrigin origin;
    private static FerryHarness ferry;

    @BeforeAll
    static void start() {
        origin = TestOrigin.echoUri();
        ferry = FerryHarness.proxyTo("", origin.port());
    }

    @AfterAll
    static void stop() {
        ferry.close();
        origin.close();
    }

    @Test
    void headersOnAHalfClosedStreamIsAStreamErrorStreamClosed() throws Exception {
        origin.hold(); // the first request stays unanswered, so its stream stays half-closed (remote)
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            int id = c.request(RawH2Client.get("/held"), true);
            Eventually.until("the request reached the origin", () -> origin.heldNow() == 1);
            c.headers(id, List.<String[]>of(new String[] {"x-more", "1"}), RawH2Client.END_HEADERS);
            RawH2Client.Response r = c.response(id, 5);
            assertEquals(STREAM_CLOSED, r.resetCode(), "RST_STREAM STREAM_CLOSED");
            origin.releaseHeld();
            int next = c.request(RawH2Client.get("/next"), true);
            assertEquals("hello /next", c.response(next, 5).bodyText(), "the connection goes on");
        } finally {
            origin.releaseHeld();
        }
    }

    @Test
    void headersOnAClosedStreamIsAConnectionErrorStreamClosed() throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            int id = c.request(RawH2Client.get("/done"), true);
            assertEquals("hello /done", c.response(id, 5).bodyText());
            c.headers(id, RawH2Client.get("/again"), RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            RawH2Client.Frame goAway = c.goAway(5);
            assertNotNull(goAway, "GOAWAY");
            assertEquals(STREAM_CLOSED, goAway.errorCode());
        }
    }

    @Test
    void aStreamNumberedBelowOneUsedIsAConnectionErrorProtocolError() throws Exception {
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            c.headers(5, RawH2Client.get("/five"), RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            assertEquals("hello /five", c.response(5, 5).bodyText());
            c.headers(3, RawH2Client.get("/three"), RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            RawH2Client.Frame goAway = c.goAway(5);
            assertNotNull(goAway, "GOAWAY");
            assertEquals(PROTOCOL_ERROR, goAway.errorCode());
        }
        assertTrue(origin.requests().stream().noneMatch(r -> r.uri().equals("/three")), "never forwarded");
    }

    @Test
    void bodyOverrunningContentLengthIsResetWhileTheAnswerIsUnderWay() throws Exception {
        // The backend answers on the head, part of its body, and waits: the answer is under way.
        RawOrigin.Behaviour partial = (socket, head) -> {
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            while (socket.getInputStream().read() >= 0) {
                // until Ferry closes the connection
            }
            return false;
        };
        try (RawOrigin early = new RawOrigin(partial);
             FerryHarness proxy = FerryHarness.proxyTo("", early.port());
             RawH2Client c = RawH2Client.connect(proxy.port())) {
            int id = c.request(post("10"), false);
            c.data(id, "abc".getBytes(StandardCharsets.US_ASCII), false);
            RawH2Client.Frame head = c.next(id, 5);
            assertNotNull(head, "the backend's answer arrives before the body ends");
            c.data(id, "defghijklmnop".getBytes(StandardCharsets.US_ASCII), true); // 16 bytes in all, not 10
            assertEquals(PROTOCOL_ERROR, c.response(id, 5).resetCode(), "RST_STREAM PROTOCOL_ERROR");
        }
    }

    @Test
    void aPseudoHeaderInTrailersIsResetWhileTheAnswerIsUnderWay() throws Exception {
        origin.hold();
        try (RawH2Client c = RawH2Client.connect(ferry.port())) {
            int id = c.request(post("3"), false);
            c.data(id, "abc".getBytes(StandardCharsets.US_ASCII), false);
            c.headers(id, List.<String[]>of(new String[] {":path", "/smuggled"}),
                    RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            assertEquals(PROTOCOL_ERROR, c.response(id, 5).resetCode(), "RST_STREAM PROTOCOL_ERROR");
        } finally {
            origin.releaseHeld();
        }
    }

    @Test
    void aBackendConnectionLeftWithPartOfARequestBodyIsNotUsedAgain() throws Exception {
        // The backend answers in full on the head, without reading the body: its connection has had only
        // part of the request, and the client is asked to stop sending (RST_STREAM NO_ERROR, RFC 9113 §8.1).
        try (RawOrigin early = new RawOrigin(RawOrigin.reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
             FerryHarness proxy = FerryHarness.proxyTo("", early.port());
             RawH2Client c = RawH2Client.connect(proxy.port())) {
            int id = c.request(post("10"), false);
            c.data(id, "abc".getBytes(StandardCharsets.US_ASCII), false);
            assertEquals("ok", c.response(id, 5).bodyText());
            RawH2Client.Frame reset = c.next(id, 5);
            assertNotNull(reset, "RST_STREAM after the answer");
            assertEquals(RawH2Client.RST_STREAM, reset.type());
            assertEquals(0L, reset.errorCode(), "NO_ERROR: stop sending");
            c.data(id, "defghijklmnop".getBytes(StandardCharsets.US_ASCII), false); // in flight: ignored
            c.headers(id, List.<String[]>of(new String[] {"x-trailer", "1"}), // so are trailers in flight
                    RawH2Client.END_HEADERS | RawH2Client.END_STREAM);
            int next = c.request(RawH2Client.get("/after"), true);
            assertEquals(200, c.response(next, 5).status());
            List<String> heads = early.heads();
            assertTrue(heads.get(heads.size() - 1).startsWith("GET /after HTTP/1.1\r\n"),
                    "the next request starts clean on a fresh connection: " + heads);
        }
    }

    private static List<String[]> post(String contentLength) {
        List<String[]> post = new ArrayList<>(RawH2Client.get("/upload"));
        post.set(0, new String[] {":method", "POST"});
        post.add(new String[] {"content-length", contentLength});
        return post;
    }
}
