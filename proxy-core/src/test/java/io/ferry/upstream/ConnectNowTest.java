package io.ferry.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.TransportKind;
import io.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConnectNowTest {
    private Transport transport;
    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;

    @BeforeEach
    void start() {
        transport = Transport.select(TransportKind.AUTO);
        group = transport.newGroup(1, new DefaultThreadFactory("connect-now-test"));
        loop = group.next();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** A loopback listener on the test's loop that accepts and does nothing else. */
    private Channel listen() throws InterruptedException {
        return new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** A bootstrap whose channels record whether their connect has been issued. */
    private Bootstrap bootstrap(AtomicBoolean issued) {
        return new Bootstrap().group(loop).channel(transport.socketChannel())
                .handler(new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                                        ChannelPromise promise) {
                        issued.set(true);
                        ctx.connect(remote, local, promise);
                    }
                });
    }

    /** On its loop the connect is issued before connect() returns, where Bootstrap leaves it to a task. */
    @Test
    void onTheLoopTheConnectIsIssuedAtOnce() throws Exception {
        Channel server = listen();
        try {
            CompletableFuture<boolean[]> issuedAtReturn = new CompletableFuture<>();
            CompletableFuture<ChannelFuture> connects = new CompletableFuture<>();
            loop.execute(() -> {
                AtomicBoolean byBootstrap = new AtomicBoolean();
                AtomicBoolean byConnectNow = new AtomicBoolean();
                bootstrap(byBootstrap).connect(server.localAddress());
                ChannelFuture f = ConnectNow.connect(bootstrap(byConnectNow), server.localAddress());
                issuedAtReturn.complete(new boolean[] {byBootstrap.get(), byConnectNow.get()});
                connects.complete(f);
            });
            boolean[] issued = issuedAtReturn.get(10, TimeUnit.SECONDS);
            assertFalse(issued[0], "Bootstrap issues the connect from a task (else this test shows nothing)");
            assertTrue(issued[1], "ConnectNow issued the connect before returning");
            ChannelFuture f = connects.get(10, TimeUnit.SECONDS);
            assertTrue(f.await(10, TimeUnit.SECONDS) && f.isSuccess(), String.valueOf(f.cause()));
            assertEquals(server.localAddress(), f.channel().remoteAddress());
            f.channel().close().sync();
        } finally {
            server.close().sync();
        }
    }

    /** A refused connect fails the future and closes the channel, as Bootstrap does. */
    @Test
    void aRefusedConnectClosesTheChannel() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
        CompletableFuture<ChannelFuture> connect = new CompletableFuture<>();
        loop.execute(() -> connect.complete(ConnectNow.connect(bootstrap(new AtomicBoolean()), closed)));
        ChannelFuture f = connect.get(10, TimeUnit.SECONDS);
        assertTrue(f.await(10, TimeUnit.SECONDS));
        assertFalse(f.isSuccess());
        assertTrue(f.channel().closeFuture().await(10, TimeUnit.SECONDS), "the channel was closed");
    }

    /** Off the loop it is Bootstrap's connect, and it works. */
    @Test
    void offTheLoopItConnectsAsBootstrapDoes() throws Exception {
        Channel server = listen();
        try {
            ChannelFuture f = ConnectNow.connect(bootstrap(new AtomicBoolean()), server.localAddress());
            assertTrue(f.await(10, TimeUnit.SECONDS) && f.isSuccess(), String.valueOf(f.cause()));
            f.channel().close().sync();
        } finally {
            server.close().sync();
        }
    }
}
