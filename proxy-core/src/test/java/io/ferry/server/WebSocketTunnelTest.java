package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.TrustAll;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real WebSocket client (the JDK's) through Ferry to a real WebSocket server (Netty's), on 8000 and 4430. */
@Tag("slow")
class WebSocketTunnelTest {
    private EventLoopGroup group;
    private Channel origin;

    @BeforeEach
    void startEchoServer() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        origin = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new WebSocketServerProtocolHandler("/ws", null, false, 1 << 20),
                                new WebSocketFrameAggregator(1 << 20),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                        ctx.writeAndFlush(new TextWebSocketFrame("echo: " + f.text()));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterEach
    void stop() {
        origin.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String config() {
        return """
                ferry {
                  listeners = [
                    { name = http, bind = "127.0.0.1", port = 0 }
                    { name = https, bind = "127.0.0.1", port = 0, tls { } }
                  ]
                  backends.ws.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = ws } ]
                  timeouts { shutdown = 1s, server = 500ms }
                }
                """.formatted(((InetSocketAddress) origin.localAddress()).getPort());
    }

    @Test
    void echoesThroughPlainAndTlsListeners() throws Exception {
        try (FerryHarness ferry = FerryHarness.start(config())) {
            echo(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + ferry.port("http") + "/ws"));
            HttpClient tls = HttpClient.newBuilder().sslContext(TrustAll.context()).build();
            echo(tls, URI.create("wss://localhost:" + ferry.port("https") + "/ws"));
        }
    }

    /** Sends messages, including a large one and one after the server timeout, and closes cleanly. */
    private static void echo(HttpClient client, URI uri) throws Exception {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        StringBuilder partial = new StringBuilder();
        WebSocket ws = client.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    received.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
        assertEquals("echo: hello", received.poll(10, TimeUnit.SECONDS));
        String big = "x".repeat(300_000);
        ws.sendText(big, true).get(10, TimeUnit.SECONDS);
        String echoed = received.poll(10, TimeUnit.SECONDS);
        assertTrue(("echo: " + big).equals(echoed), "300 kB message echoed whole, got "
                + (echoed == null ? "nothing" : echoed.length() + " chars"));
        Thread.sleep(700); // longer than timeouts.server: a tunnel is governed by timeouts.tunnel instead
        ws.sendText("still there", true).get(5, TimeUnit.SECONDS);
        assertEquals("echo: still there", received.poll(10, TimeUnit.SECONDS));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, closed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void tunnelIdleTimeoutClosesBothSides() throws Exception {
        String conf = config().replace("timeouts { shutdown = 1s, server = 500ms }",
                "timeouts { shutdown = 1s, tunnel = 300ms }");
        try (FerryHarness ferry = FerryHarness.start(conf)) {
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + ferry.port("http") + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                            closed.complete(statusCode);
                            return null;
                        }

                        @Override
                        public void onError(WebSocket webSocket, Throwable e) {
                            error.complete(e);
                        }
                    }).get(10, TimeUnit.SECONDS);
            Object outcome = CompletableFuture.anyOf(closed, error).get(10, TimeUnit.SECONDS);
            assertTrue(outcome != null, "the idle tunnel was closed");
        }
    }
}
