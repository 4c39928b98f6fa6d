package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same proxying on every transport Ferry can select. */
class TransportsTest {

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void proxiesOn(String transport) throws Exception {
        // Skipped only where the kernel lacks the transport (it is present on the Linux CI machine).
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "epoll unavailable");
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "io_uring unavailable");
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("global.transport = " + transport, origin.port());
             RawClient client = new RawClient(ferry.port())) {
            for (int i = 0; i < 3; i++) {
                client.send("POST /t" + i + " HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
                assertEquals("hello /t" + i, client.read().bodyText());
            }
        }
    }
}
