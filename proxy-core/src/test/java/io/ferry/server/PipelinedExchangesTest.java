package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The front end runs one exchange at a time, whoever answers it: pipelined requests answered by the
 * origin, the cache, Ferry itself (a 404, a purge) and the origin again come back in order, complete,
 * on one connection.
 */
class PipelinedExchangesTest {

    @Test
    void everyKindOfResponderAnswersInOrderOnOneConnection() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200,
                     Map.of("Cache-Control", "max-age=60", "Content-Type", "text/plain"),
                     ("origin " + r.uri()).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app.servers = [ "127.0.0.1:%d" ]
                     routes = [ { host = "site.test", backend = app } ]
                     cache.enabled = true
                     timeouts.shutdown = 1s
                     """).formatted(origin.port()));
             RawClient c = new RawClient(ferry.port())) {
            c.send("GET /page HTTP/1.1\r\nHost: site.test\r\n\r\n"
                    + "GET /page HTTP/1.1\r\nHost: site.test\r\n\r\n"
                    + "GET /x HTTP/1.1\r\nHost: nowhere.test\r\n\r\n"
                    + "POST /form HTTP/1.1\r\nHost: site.test\r\nContent-Length: 3\r\n\r\nabc"
                    + "PURGE /page HTTP/1.1\r\nHost: site.test\r\n\r\n"
                    + "HEAD /page HTTP/1.1\r\nHost: site.test\r\n\r\n"
                    + "GET /last HTTP/1.1\r\nHost: site.test\r\n\r\n");
            RawClient.Response miss = c.read();
            assertEquals("origin /page", miss.bodyText());
            assertEquals("MISS", miss.header("x-cache"));
            RawClient.Response hit = c.read();
            assertEquals("origin /page", hit.bodyText());
            assertEquals("HIT", hit.header("x-cache"));
            assertEquals(404, c.read().status());
            RawClient.Response post = c.read();
            assertEquals("origin /form", post.bodyText());
            assertEquals("PASS", post.header("x-cache"));
            RawClient.Response purge = c.read();
            assertEquals(200, purge.status());
            assertTrue(purge.bodyText().startsWith("purged 1"), purge.bodyText());
            RawClient.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals("MISS", head.header("x-cache"), "purged: fetched again");
            assertEquals("origin /last", c.read().bodyText());
            assertEquals(4, origin.requests().size(), "page, form, page again (as GET for the HEAD), last");
        }
    }
}
