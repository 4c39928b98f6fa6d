package io.ferry.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * W3C trace context through Ferry, and its spans over OTLP/HTTP to a collector the test runs (a Netty
 * server recording what it is sent): the client's trace continued with Ferry's spans between the client's
 * and the backend's, a trace started when the client sent none, an invalid traceparent replaced, and
 * tracing off leaving the field alone.
 */
class TracingTest {
    private static final String CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CLIENT_SPAN = "b7ad6b7169203331";

    private static String get(FerryHarness ferry, String traceparent) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET /page?x=1 HTTP/1.1\r\nHost: site.test\r\n"
                    + (traceparent == null ? "" : "traceparent: " + traceparent + "\r\n") + "\r\n").read().bodyText();
        }
    }

    @Test
    void theClientsTraceGoesOnWithFerrysSpansExported() throws Exception {
        List<String> exported = new CopyOnWriteArrayList<>();
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok(String.valueOf(r.headers().get("traceparent"))));
             TestOrigin collector = TestOrigin.start(r -> {
                 exported.add(r.method() + " " + r.uri() + " " + r.headers().get("Content-Type") + " " + r.bodyText());
                 return TestOrigin.Reply.ok("");
             });
             FerryHarness ferry = FerryHarness.proxyTo("""
                     tracing { enabled = true, endpoint = "http://127.0.0.1:%d/v1/traces", flush-interval = 100ms }
                     routes = [ { name = pages, backend = app } ]
                     """.formatted(collector.port()), origin.port())) {
            String seen = get(ferry, "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
            assertTrue(seen.startsWith("00-" + CLIENT_TRACE + "-"), "the same trace: " + seen);
            String upstreamSpan = seen.substring(36, 52);
            assertNotEquals(CLIENT_SPAN, upstreamSpan, "the backend's parent is Ferry's span");
            assertTrue(seen.endsWith("-01"));
            Eventually.until("both spans reach the collector", () -> String.join("\n", exported).contains(upstreamSpan));
            String otlp = String.join("\n", exported);
            assertTrue(otlp.startsWith("POST /v1/traces application/json"), otlp);
            assertTrue(otlp.contains("\"service.name\",\"value\":{\"stringValue\":\"ferry\"}"), otlp);
            assertTrue(otlp.contains("\"traceId\":\"" + CLIENT_TRACE + "\""), otlp);
            assertTrue(otlp.contains("\"parentSpanId\":\"" + CLIENT_SPAN + "\",\"name\":\"GET pages\",\"kind\":2"),
                    "the server span under the client's: " + otlp);
            assertTrue(otlp.contains("\"spanId\":\"" + upstreamSpan + "\""), "the upstream span is the backend's parent");
            assertTrue(otlp.contains("\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}"), otlp);
            assertTrue(otlp.contains("\"key\":\"url.path\",\"value\":{\"stringValue\":\"/page\"}"), "no query string");

            String started = get(ferry, null);
            assertTrue(started.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"), "a trace started: " + started);
            String replaced = get(ferry, "00-00000000000000000000000000000000-" + CLIENT_SPAN + "-01");
            assertFalse(replaced.contains("00000000000000000000000000000000"), "an invalid trace id is not continued");
        }
    }

    @Test
    void withTracingOffTheFieldPassesAsItIs() throws Exception {
        String sent = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok(String.valueOf(r.headers().get("traceparent"))));
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            assertEquals(sent, get(ferry, sent));
            assertEquals("null", get(ferry, null), "nothing made up");
        }
    }

    @Test
    void traceparentsAreReadAsTheSpecifcationSays() {
        assertTrue(TraceContext.valid("00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01"));
        assertFalse(TraceContext.valid("00-" + CLIENT_TRACE.toUpperCase() + "-" + CLIENT_SPAN + "-01"), "lower case only");
        assertFalse(TraceContext.valid("ff-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01"), "version ff is invalid");
        assertFalse(TraceContext.valid("00-" + CLIENT_TRACE + "-0000000000000000-01"), "a zero parent");
        assertTrue(TraceContext.valid("01-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01-future"), "a later version's extension");
        assertFalse(TraceContext.valid("00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01-extra"), "version 00 has no extension");
    }
}
