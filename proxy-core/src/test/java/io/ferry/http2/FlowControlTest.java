package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Flow control end to end: a client that stops reading one stream of a 1 GiB download stops that
 * stream's upstream (the origin can write only what the buffers on the way hold, never the whole body
 * into Ferry's memory) while other streams on the same connection complete; opening the window again
 * lets the stalled download go on.
 */
@Tag("slow")
class FlowControlTest {
    private static final long GIB = 1L << 30;

    /** An origin that streams {@code /gib} (1 GiB) as fast as its connection takes it, and 100 KiB otherwise. */
    private static final class StreamingOrigin implements AutoCloseable {
        final AtomicLong written = new AtomicLong();
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel server;

        StreamingOrigin() throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new Sender());
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        int port() {
            return ((java.net.InetSocketAddress) server.localAddress()).getPort();
        }

        private final class Sender extends ChannelInboundHandlerAdapter {
            private long left;
            private boolean sending;
            private boolean again;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest req) {
                    left = req.uri().startsWith("/gib") ? GIB : 100 * 1024;
                    var head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, left);
                    ctx.write(head);
                    send(ctx);
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                send(ctx);
            }

            /** Writes while the connection takes it: what the origin has written is what Ferry let through. */
            private void send(ChannelHandlerContext ctx) {
                if (sending) {
                    again = true; // a write or flush changed writability and called back in here
                    return;
                }
                sending = true;
                try {
                    do {
                        again = false;
                        sendWhileWritable(ctx);
                    } while (again);
                } finally {
                    sending = false;
                }
            }

            private void sendWhileWritable(ChannelHandlerContext ctx) {
                while (left > 0 && ctx.channel().isActive() && ctx.channel().isWritable()) {
                    int n = (int) Math.min(64 * 1024, left);
                    left -= n;
                    ctx.write(new DefaultHttpContent(ctx.alloc().directBuffer(n).writeZero(n)))
                            .addListener(f -> written.addAndGet(f.isSuccess() ? n : 0));
                }
                if (left == 0 && ctx.channel().isActive()) {
                    left = -1;
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    ctx.flush();
                }
            }
        }

        @Override
        public void close() {
            server.close().addListener(ChannelFutureListener.CLOSE);
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aStalledStreamStopsItsUpstreamAndOthersComplete() throws Exception {
        try (StreamingOrigin origin = new StreamingOrigin();
             FerryHarness ferry = FerryHarness.proxyTo("timeouts.client = 60s", origin.port());
             RawH2Client c = RawH2Client.connect(ferry.port())) {
            int download = c.request(RawH2Client.get("/gib"), true);
            c.stall(download);
            RawH2Client.Frame head = c.next(download, 5);
            assertEquals(RawH2Client.HEADERS, head.type());
            for (int i = 0; i < 20; i++) {
                int other = c.request(RawH2Client.get("/small/" + i), true);
                RawH2Client.Response r = c.response(other, 10);
                assertNull(r.resetCode());
                assertEquals(100 * 1024, r.body().length, "stream " + other + " completes beside the stalled one");
            }
            Thread.sleep(1000);
            long stalledAt = origin.written.get();
            Thread.sleep(1000);
            long later = origin.written.get();
            assertTrue(later < 64L << 20, "the origin wrote " + later + " bytes of the stalled 1 GiB: not bounded");
            assertTrue(later - stalledAt < 1 << 20, "the origin is held back while the client does not read: "
                    + (later - stalledAt) + " bytes more in a second");
            System.out.printf("flow control: a stalled 1 GiB stream held its origin at %d KiB written%n", later >> 10);

            c.windowUpdate(download, 8 << 20);
            Eventually.until("opening the window lets the download go on", () -> origin.written.get() > later);
        }
    }
}
