package io.ferry.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import static io.ferry.testing.Streams.readUntil;
import io.ferry.testing.TestOrigin;
import java.io.InputStream;
import java.net.Socket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The live request log (admin GET /log): a watcher filtered on a path sees each matching request as it
 * finishes, with why the cache decided what it did (lookup, store, pass and the cookie behind it), and
 * nothing of other paths; when it goes, requests stop noting anything.
 */
class LiveLogTest {
    private static int get(FerryHarness ferry, String path, String cookie) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: site.test\r\n" + (cookie == null ? "" : "Cookie: " + cookie + "\r\n")
                    + "\r\n").read().status();
        }
    }

    @Test
    void aWatcherSeesWhyEachMatchingRequestWentTheWayItDid() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=60"),
                "x".getBytes()));
             FerryHarness ferry = FerryHarness.proxyTo("""
                     cache.enabled = true
                     admin { enabled = true, bind = "127.0.0.1", port = 0 }
                     """, origin.port());
             Socket watcher = new Socket("127.0.0.1", ferry.server().adminPort())) {
            watcher.setSoTimeout(15_000);
            watcher.getOutputStream().write("GET /log?path=/news HTTP/1.1\r\nHost: admin\r\n\r\n".getBytes());
            InputStream in = watcher.getInputStream();
            assertTrue(readUntil(in, "# Ferry live request log").startsWith("HTTP/1.1 200"));
            readUntil(in, "\n\r\n"); // the rest of the opening line's chunk
            Eventually.until("the watcher is registered", () -> ferry.server().liveLog().active());

            assertEquals(200, get(ferry, "/elsewhere", null));
            assertEquals(200, get(ferry, "/news/1", null));
            String miss = readUntil(in, "\n\r\n"); // the end of the chunk carrying the first line
            assertFalse(miss.contains("/elsewhere"), "filtered out: " + miss);
            assertTrue(miss.contains("\"GET site.test/news/1\" 200 MISS"), miss);
            assertTrue(miss.contains("cache: lookup miss") && miss.contains("cache: stored for 60 s"), miss);

            assertEquals(200, get(ferry, "/news/1", null));
            String hit = readUntil(in, "\n\r\n");
            assertTrue(hit.contains("200 HIT") && hit.contains("cache: lookup fresh"), hit);

            assertEquals(200, get(ferry, "/news/1", "session=abc"));
            String pass = readUntil(in, "\n\r\n");
            assertTrue(pass.contains("PASS") && pass.contains("cache: pass ("), pass);
        }
    }

    @Test
    void nobodyWatchingMeansNothingIsNoted() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("admin { enabled = true, bind = \"127.0.0.1\", port = 0 }",
                     origin.port())) {
            try (Socket watcher = new Socket("127.0.0.1", ferry.server().adminPort())) {
                watcher.getOutputStream().write("GET /log HTTP/1.1\r\nHost: admin\r\n\r\n".getBytes());
                readUntil(watcher.getInputStream(), "# Ferry live request log");
                Eventually.until("watched", () -> ferry.server().liveLog().active());
            }
            Eventually.until("the watcher that left is gone", () -> !ferry.server().liveLog().active());
            assertEquals(200, get(ferry, "/a", null));
        }
    }
}
