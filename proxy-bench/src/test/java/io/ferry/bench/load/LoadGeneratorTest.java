package io.ferry.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load generator against a real Ferry and origin on loopback (bounded runs). */
class LoadGeneratorTest {
    @TempDir
    Path dir;

    @Test
    void closedLoopRunsExactlyTheRequestedCount() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(ferry.uri("/load"), 8, 1, 0, 400, 0,
                    Duration.ofSeconds(5).toNanos())).run();
            assertEquals(400, r.requests());
            assertEquals(0, r.errors().total(), r.errors().toString());
            assertEquals(400, r.latency().getTotalCount());
            assertEquals(400, origin.requests().size(), "every request reached the origin through Ferry");
            assertEquals(8, r.requestsPerConnection().getTotalCount(), "one entry per connection");
            long sum = 0;
            for (var v : r.requestsPerConnection().recordedValues()) {
                sum += v.getValueIteratedTo() * v.getCountAtValueIteratedTo();
            }
            assertEquals(400, sum, "the connections' own counts add up to the total");
            assertEquals(8, r.p99PerConnection().getTotalCount());
        }
    }

    @Test
    void openLoopAtAFixedRateWritesHgrmAndPlot() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(ferry.uri("/rate"), 4, 1,
                    Duration.ofMillis(1500).toNanos(), 0, 200, Duration.ofSeconds(5).toNanos())).run();
            assertTrue(r.requests() > 0);
            assertEquals(0, r.errors().total(), r.errors().toString());
            Path hgrm = dir.resolve("out.hgrm");
            Path html = dir.resolve("out.html");
            LoadMain.writeHgrm(r.latency(), hgrm);
            LoadMain.writeHtml(r.latency(), html, "test");
            assertTrue(Files.readString(hgrm).contains("Value     Percentile TotalCount"), Files.readString(hgrm));
            assertTrue(Files.readString(html).contains("<polyline"));
        }
    }

    @Test
    void warmUpLoadReachesTheTargetButIsNotRecorded() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(ferry.uri("/warm"), 4, 1, 0, 100, 0,
                    Duration.ofSeconds(5).toNanos(), Duration.ofMillis(500).toNanos())).run();
            assertEquals(100, r.requests());
            assertEquals(100, r.latency().getTotalCount());
            assertEquals(0, r.errors().total(), r.errors().toString());
            assertTrue(origin.requests().size() > 100,
                    "the warm-up's requests went out too: " + origin.requests().size());
        }
    }

    @Test
    void errorsAreCountedByKind() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(URI.create("http://127.0.0.1:" + closed + "/"),
                3, 1, 0, 10, 0, Duration.ofSeconds(2).toNanos())).run();
        assertEquals(0, r.requests());
        assertEquals(3, r.errors().get("connect").sum());
    }
}
