package io.ferry.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.OpenFiles;
import io.ferry.testing.TestOrigin;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 3000 clients each sending one request at the same moment, on the default limits: every one is
 * served — queued where a limit applies — never refused (HAProxy queues, nginx opens connections).
 */
class BurstTest {
    private static final int CLIENTS = 3000;

    @Test
    void aBurstWithinMaxConnectionsIsServedNotShed() throws Exception {
        // Client, Ferry (both sides) and origin live in this process: four sockets per request.
        assumeTrue(OpenFiles.limit() > 4L * CLIENTS + 1000, "needs more open files than this machine allows");
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.start("""
                     ferry {
                       listeners = [ { name = http, bind = "127.0.0.1", port = 0, backlog = 4096 } ]
                       backends.app.servers = [ "127.0.0.1:%d" ]
                       routes = [ { backend = app } ]
                       timeouts.shutdown = 2s
                     }
                     """.formatted(origin.port()))) {
            origin.delayReplies(200); // the requests overlap at the origin
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            AtomicInteger failures = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(CLIENTS);
            Bootstrap b = new Bootstrap().group(clients).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                            statuses.computeIfAbsent(r.status().code(), k -> new AtomicInteger())
                                                    .incrementAndGet();
                                            ctx.close();
                                            done.countDown();
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            failures.incrementAndGet();
                                            ctx.close();
                                            done.countDown();
                                        }
                                    });
                        }
                    });
            for (int i = 0; i < CLIENTS; i++) {
                String path = "/burst/" + i;
                b.connect("127.0.0.1", ferry.port()).addListener((io.netty.channel.ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        failures.incrementAndGet();
                        done.countDown();
                        return;
                    }
                    DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
                    req.headers().set(HttpHeaderNames.HOST, "burst");
                    f.channel().writeAndFlush(req);
                });
            }
            boolean finished = done.await(60, TimeUnit.SECONDS);
            Map<Integer, Integer> summary = new TreeMap<>();
            statuses.forEach((k, v) -> summary.put(k, v.get()));
            System.out.printf("burst of %d clients on the default limits: %s, %d connection failures%n", CLIENTS,
                    summary, failures.get());
            assertEquals(true, finished, "every client got an answer: " + summary);
            assertEquals(Map.of(200, CLIENTS), summary, "nobody is shed");
            assertEquals(0, failures.get());
        } finally {
            clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
