package io.ferry.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
            assertEquals(origin.requests().size() - 100, r.warmupRequests(), "the warm-up's answers are counted apart");
            assertTrue(r.cpuShare() > 0 && r.cpuShare() <= Runtime.getRuntime().availableProcessors() + 0.5,
                    "the generator's own CPU while measuring, in cores: " + r.cpuShare());
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            LoadMain.report(r, 0, new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
            assertTrue(text.toString(java.nio.charset.StandardCharsets.UTF_8).contains(
                    r.warmupRequests() + " more requests in the warm-up"), text.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void headersGivenOnTheCommandLineGoWithEveryRequestAndReplaceTheDefaults() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            HttpHeaders headers = new DefaultHttpHeaders();
            LoadMain.addHeader(headers, "Host: cache.bench");
            LoadMain.addHeader(headers, "Accept-Encoding:gzip, br");
            LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(ferry.uri("/h"), 2, 1, 0, 6, 0,
                    Duration.ofSeconds(5).toNanos(), 0, headers, List.of())).run();
            assertEquals(6, r.requests());
            assertEquals(6, origin.requests().size());
            for (TestOrigin.Received got : origin.requests()) {
                assertEquals(List.of("cache.bench"), got.headers().getAll("Host"), "one Host, the one given");
                assertEquals("gzip, br", got.headers().get("Accept-Encoding"));
                assertEquals("ferry-load", got.headers().get("User-Agent"), "the defaults not named stay");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> LoadMain.addHeader(new DefaultHttpHeaders(), "no colon"));
    }

    @Test
    void theServersCpuWhileMeasuringIsReportedWhenItsProcessIsNamed() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("", origin.port())) {
            // Ferry runs in this JVM here, so this process is the server
            LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(ferry.uri("/cpu"), 4, 1,
                    Duration.ofMillis(1200).toNanos(), 0, 0, Duration.ofSeconds(5).toNanos(), Duration.ofMillis(300).toNanos(),
                    new DefaultHttpHeaders(), List.of(ProcessHandle.current().pid()))).run();
            assertTrue(r.requests() > 0);
            assertTrue(r.serverCpuShare() > 0 && r.serverCpuShare() <= Runtime.getRuntime().availableProcessors() + 0.5,
                    "this process's CPU while measuring, in cores: " + r.serverCpuShare());
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            LoadMain.report(r, 0, new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
            assertTrue(text.toString(java.nio.charset.StandardCharsets.UTF_8).contains("server CPU while measuring: "));
        }
        LoadGenerator.Result none = new LoadGenerator(new LoadGenerator.Options(URI.create("http://127.0.0.1:1/"), 1, 1, 0, 1, 0,
                Duration.ofSeconds(1).toNanos())).run();
        assertTrue(Double.isNaN(none.serverCpuShare()), "no server named, none reported");
    }

    @Test
    void procStatTimesAreReadAfterTheCommandNameWhateverItHolds() {
        String stat = "4242 (java) (x y)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 30 0 12345 0 0";
        assertEquals(287, ProcessCpu.ticksOf(stat), "utime 250 + stime 37");
        assertEquals(-1, ProcessCpu.nanos(List.of(Long.MAX_VALUE)), "no such process");
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
