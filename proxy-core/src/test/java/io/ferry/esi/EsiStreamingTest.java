package io.ferry.esi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import static io.ferry.testing.Streams.readUntil;
import io.ferry.testing.TestOrigin;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Assembly as it streams: the page's bytes before an include reach the client while the include's
 * origin holds its answer; two pages waiting on one fragment share its fetch; a client leaving while an
 * include is fetched leaves nothing behind (the leak detector runs on every test).
 */
class EsiStreamingTest {
    private static final Map<String, String> TEMPLATE = Map.of("Content-Type", "text/html",
            "Surrogate-Control", "content=\"ESI/1.0\"", "Cache-Control", "max-age=60");

    private static TestOrigin pages() {
        return TestOrigin.start(r -> new TestOrigin.Reply(200, TEMPLATE,
                "before|<esi:include src=\"/slow/fragment\"/>|after".getBytes(StandardCharsets.UTF_8)));
    }

    private static TestOrigin fragments() {
        return TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/html",
                "Cache-Control", "max-age=60"), "FRAGMENT".getBytes(StandardCharsets.UTF_8)));
    }

    private static FerryHarness ferry(TestOrigin pages, TestOrigin fragments) {
        return FerryHarness.start(FerryHarness.siteConfig("""
                backends.pages.servers = [ "127.0.0.1:%d" ]
                backends.fragments.servers = [ "127.0.0.1:%d" ]
                routes = [ { path = "/slow/", backend = fragments }, { backend = pages } ]
                cache.enabled = true
                timeouts.shutdown = 1s
                """.formatted(pages.port(), fragments.port())));
    }

    @Test
    void whatComesBeforeAnIncludeGoesOutWhileItIsFetched() throws Exception {
        try (TestOrigin pages = pages(); TestOrigin fragments = fragments(); FerryHarness ferry = ferry(pages, fragments);
             RawClient c = new RawClient(ferry.port())) {
            fragments.hold();
            c.send("GET /page HTTP/1.1\r\nHost: t\r\n\r\n");
            String early = readUntil(c.input(), "before|");
            assertTrue(early.startsWith("HTTP/1.1 200"), early);
            assertTrue(early.contains("before|"), "the page's start arrived while the include is held: " + early);
            assertTrue(fragments.awaitHeld(1, 10_000));
            fragments.releaseHeld();
            String rest = readUntil(c.input(), "0\r\n\r\n");
            assertTrue(rest.contains("FRAGMENT") && rest.contains("|after"), rest);
        }
    }

    @Test
    void pagesWaitingOnOneFragmentShareItsFetch() throws Exception {
        try (TestOrigin pages = pages(); TestOrigin fragments = fragments(); FerryHarness ferry = ferry(pages, fragments);
             RawClient a = new RawClient(ferry.port()); RawClient b = new RawClient(ferry.port())) {
            fragments.hold();
            a.send("GET /page HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(fragments.awaitHeld(1, 10_000));
            b.send("GET /other-page HTTP/1.1\r\nHost: t\r\n\r\n");
            readUntil(b.input(), "before|"); // b's assembly has begun and waits on the same fragment
            fragments.releaseHeld();
            assertEquals("before|FRAGMENT|after", a.read().bodyText());
            String rest = readUntil(b.input(), "0\r\n\r\n");
            assertTrue(rest.contains("FRAGMENT") && rest.contains("|after"), rest);
            assertEquals(1, fragments.requests().size(), "one fetch of the fragment for both pages");
        }
    }

    @Test
    void aClientLeavingDuringAnIncludeLeavesNothingBehind() throws Exception {
        try (TestOrigin pages = pages(); TestOrigin fragments = fragments(); FerryHarness ferry = ferry(pages, fragments)) {
            fragments.hold();
            try (RawClient c = new RawClient(ferry.port())) {
                c.send("GET /page HTTP/1.1\r\nHost: t\r\n\r\n");
                readUntil(c.input(), "before|");
                assertTrue(fragments.awaitHeld(1, 10_000));
            }
            fragments.releaseHeld();
            Eventually.until("Ferry answers again", () -> {
                try (RawClient c = new RawClient(ferry.port())) {
                    return c.send("GET /page HTTP/1.1\r\nHost: t\r\n\r\n").read().bodyText().equals("before|FRAGMENT|after");
                }
            });
        }
    }
}
