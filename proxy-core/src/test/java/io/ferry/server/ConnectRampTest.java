package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TestOrigin;
import io.ferry.upstream.ServerPool;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * pool.max-connecting: a burst opens at most that many connections to a server at once; the requests
 * beyond it wait for one to come free or finish opening, instead of flooding the server's listen backlog
 * with connection attempts that then time out.
 */
class ConnectRampTest {

    @Test
    void noMoreThanMaxConnectingAttemptsAreUnderWayAtOnce() throws Exception {
        // A listener that never accepts: once its backlog is full, connection attempts stay pending.
        try (ServerSocket blackhole = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     global.transport = nio
                     backends.app { servers = [ "127.0.0.1:%d" ], pool.max-connecting = 3 }
                     routes = [ { backend = app } ]
                     timeouts { connect = 2s, shutdown = 1s }
                     """).formatted(blackhole.getLocalPort()))) {
            ServerPool pool = ferry.server().backends().get("app").servers().get(0);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                EventLoop loop = group.next();
                // On the loop itself no attempt can finish meanwhile: only the limit stops the opening.
                int opened = loop.submit(() -> {
                    int n = 0;
                    while (n < 50 && pool.mayConnect()) {
                        pool.open(loop, null, null);
                        n++;
                    }
                    return n;
                }).get(5, TimeUnit.SECONDS);
                assertEquals(3, opened, "at most pool.max-connecting connection attempts at once");
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    @Test
    void requestsBeyondMaxConnectingWaitForAConnectionAndAllSucceed() throws Exception {
        try (TestOrigin origin = TestOrigin.start(r -> TestOrigin.Reply.ok("ok"));
             FerryHarness ferry = FerryHarness.proxyTo("backends.app.pool.max-connecting = 1", origin.port())) {
            origin.delayReplies(20);
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            var calls = new java.util.ArrayList<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>>();
            for (int i = 0; i < 40; i++) {
                calls.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(ferry.uri("/r" + i)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()));
            }
            for (var c : calls) {
                assertEquals(200, c.get(10, TimeUnit.SECONDS).statusCode());
            }
            assertTrue(origin.connectionsAccepted() >= 1);
        }
    }
}
