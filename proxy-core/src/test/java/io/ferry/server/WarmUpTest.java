package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.OriginProcess;
import io.ferry.testing.TestOrigin;
import io.ferry.transport.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code global.warm-up}: requests really go through the request path before the listeners open, and
 * nothing of the warm-up is left in the server: not in its metrics, not in its cache; on {@code auto} only an
 * upgrade warms up.
 */
class WarmUpTest {
    @Test
    void theRequestPathAnswersRequestsDuringTheWarmUp() {
        Transport transport = Transport.select(TransportKind.AUTO);
        EventLoopGroup loops = transport.newGroup(2, new DefaultThreadFactory("warm-up-test"));
        try {
            WarmUp.Result result = WarmUp.run(transport, loops, Duration.ofSeconds(1));
            assertTrue(result.answered() > 200, "requests answered during the warm-up: " + result);
            // 8 requests per connection, then it ends (the client closes, or Ferry after Connection: close)
            assertTrue(result.connections() > 8 && result.connections() >= result.answered() / 8,
                    "connections come and go: " + result);
            assertEquals(new WarmUp.Result(0, 0), WarmUp.run(transport, loops, Duration.ZERO), "0s is off");
        } finally {
            loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * warm-up = auto (the default): a cold start opens its listeners without a warm-up (nothing serves until then),
     * an upgrade warms up while its predecessor serves.
     */
    @Test
    void onAutoAColdStartDoesNotWarmUpAndAnUpgradeDoes(@TempDir Path dir) throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri()) {
            int port = OriginProcess.freePort();
            FerryConfig config = ConfigLoader.parse("""
                    ferry {
                      listeners = [ { name = http, bind = "127.0.0.1", port = %d } ]
                      access-log.enabled = false
                      global { jit-priority = 0, handover-socket = "%s" }
                      backends { app { servers = [ "127.0.0.1:%d" ] } }
                      routes = [ { host = "*", backend = app } ]
                    }
                    """.formatted(port, dir.resolve("ferry.sock"), origin.port()), Path.of("."));
            FerryServer cold = FerryServer.start(config);
            FerryServer successor = null;
            try {
                assertEquals(new WarmUp.Result(0, 0), cold.warmedUp(), "no warm-up on a cold start");
                successor = FerryServer.takeOver(config);
                assertTrue(successor.warmedUp().answered() > 0, "the upgrade warmed up: " + successor.warmedUp());
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/after")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals("hello /after", r.body(), "the successor serves on the port it took over");
            } finally {
                if (successor != null) {
                    successor.close();
                }
                cold.close();
            }
        }
    }

    @Test
    void aWarmedServerStartsCleanAndServes() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri()) {
            String config = FerryHarness.siteConfig("""
                    global.warm-up = 200ms
                    backends { app { servers = [ "127.0.0.1:%d" ] } }
                    routes = [ { host = "*", backend = app } ]
                    cache.enabled = true
                    """.formatted(origin.port()));
            FerryServer server = FerryServer.start(ConfigLoader.parse(config, Path.of(".")));
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port("http") + "/warm-up/cached")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals("hello /warm-up/cached", r.body(), "the warm-up's cache is not the server's");
                String metrics = server.metrics().scrape();
                assertFalse(metrics.contains("warm-up"), "no warm-up request is counted");
            } finally {
                server.close();
            }
        }
    }
}
