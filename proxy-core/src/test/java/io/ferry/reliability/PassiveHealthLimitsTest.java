package io.ferry.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Passive health must not leave a backend with nothing: the last server up is never ejected, and
 * below passive-health.panic-threshold the ejected servers take traffic again.
 */
class PassiveHealthLimitsTest {

    private static int status(FerryHarness ferry, String path) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
            return c.read().status();
        }
    }

    /** An origin that drops every connection without answering while {@code failing} is set. */
    private static RawOrigin flaky(AtomicBoolean failing) throws IOException {
        return new RawOrigin((socket, head) -> {
            if (failing.get()) {
                return false;
            }
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return true;
        });
    }

    @Test
    void theOnlyServerIsNeverEjected() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (RawOrigin origin = flaky(failing);
             FerryHarness ferry = FerryHarness.proxyTo("""
                     backends.app { retries = 0, passive-health { failures = 2, cooldown = 1m } }
                     """, origin.port())) {
            for (int i = 0; i < 6; i++) {
                assertEquals(502, status(ferry, "/fail" + i), "the server closes without answering");
            }
            failing.set(false); // back, as after a restart
            assertEquals(200, status(ferry, "/back"), "no 503 for the cooldown: the last server stays in rotation");
            assertTrue(origin.heads().size() >= 7);
        }
    }

    private static String metrics(FerryHarness ferry) {
        return ferry.server().metrics().scrape();
    }

    @Test
    void belowThePanicThresholdEjectedServersTakeTrafficAgain() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (RawOrigin a = flaky(failing); RawOrigin b = flaky(failing); TestOrigin c = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     global.io-threads = 1
                     backends.app { retries = 0, passive-health { failures = 1, cooldown = 1m } }
                     """, a.port(), b.port(), c.port())) {
            for (int i = 0; i < 6; i++) {
                status(ferry, "/warm" + i); // round-robin: a and b fail once each and are ejected
            }
            assertTrue(metrics(ferry).contains("ferry_backend_panic{backend=\"app\"} 1"), metrics(ferry));
            int before = a.heads().size() + b.heads().size();
            for (int i = 0; i < 6; i++) {
                status(ferry, "/panic" + i);
            }
            assertTrue(a.heads().size() + b.heads().size() > before,
                    "1 of 3 up is below 0.5: the ejected servers are balanced over again");
            failing.set(false);
            for (int i = 0; i < 6; i++) {
                assertEquals(200, status(ferry, "/healed" + i));
            }
        }
    }

    @Test
    void withoutPanicThresholdEjectedServersStayOut() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (RawOrigin a = flaky(failing); RawOrigin b = flaky(failing); TestOrigin c = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     global.io-threads = 1
                     backends.app { retries = 0
                       passive-health { failures = 1, cooldown = 1m, panic-threshold = 0 } }
                     """, a.port(), b.port(), c.port())) {
            for (int i = 0; i < 6; i++) {
                status(ferry, "/warm" + i);
            }
            int before = a.heads().size() + b.heads().size();
            for (int i = 0; i < 6; i++) {
                assertEquals(200, status(ferry, "/only-c" + i));
            }
            assertEquals(before, a.heads().size() + b.heads().size());
            assertTrue(metrics(ferry).contains("ferry_backend_panic{backend=\"app\"} 0"), metrics(ferry));
        }
    }
}
