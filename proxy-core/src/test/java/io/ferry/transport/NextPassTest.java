package io.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.config.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NextPassTest {

    /** The transport, where the kernel has it (the Linux CI machine has all three). */
    private static Transport available(TransportKind kind) {
        assumeTrue(kind != TransportKind.EPOLL || Epoll.isAvailable(), "epoll unavailable");
        assumeTrue(kind != TransportKind.IO_URING || IoUring.isAvailable(), "io_uring unavailable");
        return Transport.select(kind);
    }

    /**
     * Work asked for while a read is handled runs before the tasks queued beside it on io_uring: in the
     * same I/O phase, not after it. Elsewhere it is one of those tasks, in the order asked.
     */
    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void workAskedDuringAReadRunsInTheSamePhaseOnIoUring(TransportKind kind) throws Exception {
        Transport transport = available(kind);
        MultiThreadIoEventLoopGroup group = transport.newGroup(1, new DefaultThreadFactory("next-pass-test"));
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<List<String>> done = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ReferenceCountUtil.release(msg);
                                    if (!order.isEmpty()) {
                                        return; // the byte came in more than one read: the first decides
                                    }
                                    EventLoop loop = ctx.channel().eventLoop();
                                    loop.execute(() -> {
                                        order.add("task");
                                        loop.execute(() -> done.complete(List.copyOf(order)));
                                    });
                                    NextPass.execute(loop, () -> order.add("pass"));
                                }
                            });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Channel client = new Bootstrap().group(group).channel(transport.socketChannel())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1})).sync();
            List<String> seen = done.get(10, TimeUnit.SECONDS);
            List<String> expected = kind == TransportKind.IO_URING ? List.of("pass", "task") : List.of("task", "pass");
            assertEquals(expected, seen);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Asked from a task, with no I/O under way, the loop still wakes for it; asked off the loop, it is a task. */
    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"NIO", "EPOLL", "IO_URING"})
    void workAskedOutsideAnIoPhaseRuns(TransportKind kind) throws Exception {
        Transport transport = available(kind);
        MultiThreadIoEventLoopGroup group = transport.newGroup(1, new DefaultThreadFactory("next-pass-test"));
        try {
            EventLoop loop = group.next();
            for (int i = 0; i < 3; i++) { // the first registers, the next reuse the registration
                CountDownLatch ran = new CountDownLatch(2);
                loop.execute(() -> NextPass.execute(loop, ran::countDown));
                NextPass.execute(loop, ran::countDown);
                assertTrue(ran.await(10, TimeUnit.SECONDS), "round " + i);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
