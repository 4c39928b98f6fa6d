package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed and oversized requests get a clear 4xx and the connection closes; none reaches the origin.
 */
class RequestLimitsTest {
    private static TestOrigin origin;
    private static FerryHarness ferry;

    @BeforeAll
    static void start() {
        origin = TestOrigin.echoUri();
        ferry = FerryHarness.proxyTo("""
                limits {
                  max-request-line = 256
                  max-header-size = 1k
                  max-headers = 10
                  max-body-size = 1k
                }
                """, origin.port());
    }

    @AfterAll
    static void stop() {
        ferry.close();
        origin.close();
    }

    @BeforeEach
    void clear() {
        origin.requests().clear();
    }

    private void assertRejected(String request, int status) throws Exception {
        try (RawClient client = new RawClient(ferry.port())) {
            client.send(request);
            RawClient.Response r = client.read();
            assertEquals(status, r.status(), "status for:\n" + request);
            assertEquals("close", r.header("connection"));
            assertTrue(client.closedByPeer(), "connection closed after " + status);
        }
        assertEquals(0, origin.requests().size(), "nothing forwarded");
    }

    @Test
    void requestLineTooLongIs414() throws Exception {
        assertRejected("GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
    }

    @Test
    void headersTooLargeIs431() throws Exception {
        assertRejected("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + "b".repeat(2000) + "\r\n\r\n", 431);
    }

    @Test
    void tooManyHeadersIs431() throws Exception {
        StringBuilder req = new StringBuilder("GET / HTTP/1.1\r\nHost: t\r\n");
        for (int i = 0; i < 12; i++) {
            req.append("X-H").append(i).append(": v\r\n");
        }
        assertRejected(req.append("\r\n").toString(), 431);
    }

    @Test
    void declaredBodyTooLargeIs413() throws Exception {
        assertRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 413);
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        try (RawClient client = new RawClient(ferry.port())) {
            client.send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = Integer.toHexString(600) + "\r\n" + "x".repeat(600) + "\r\n";
            client.send(chunk + chunk + "0\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(413, r.status());
            assertTrue(client.closedByPeer());
        }
        assertEquals(0, origin.requests().size(), "the origin never saw a complete request");
    }

    @Test
    void contentLengthWithTransferEncodingIs400() throws Exception {
        assertRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n", 400);
    }

    @Test
    void differingDuplicateContentLengthsAre400() throws Exception {
        assertRejected("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
    }

    @Test
    void malformedChunkSizeIs400() throws Exception {
        try (RawClient client = new RawClient(ferry.port())) {
            client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
            RawClient.Response r = client.read();
            assertEquals(400, r.status());
            assertTrue(client.closedByPeer());
        }
        assertTrue(origin.requests().isEmpty(), "no complete request forwarded");
    }

    @Test
    void missingHostInHttp11Is400() throws Exception {
        assertRejected("GET / HTTP/1.1\r\n\r\n", 400);
    }

    @Test
    void duplicateHostIs400() throws Exception {
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    }

    @Test
    void garbageRequestLineIs400() throws Exception {
        assertRejected("HELLO\r\n\r\n", 400);
    }

    @Test
    void connectMethodIs405() throws Exception {
        assertRejected("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", 405);
    }

    @Test
    void unknownExpectationIs417() throws Exception {
        assertRejected("POST / HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417);
    }

    @Test
    void requestsWithinTheLimitsPass() throws Exception {
        try (RawClient client = new RawClient(ferry.port())) {
            client.send("POST /ok HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n" + "y".repeat(1024));
            assertEquals(200, client.read().status());
        }
        assertEquals(1, origin.requests().size());
    }
}
