package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Bodies stream in both directions and a slow peer slows the other side down instead of filling the
 * proxy's memory. The origin here only produces (or consumes) as fast as its socket allows and counts
 * bytes, so "how far did the fast side get while the slow side stalled" measures what the proxy buffers.
 */
@Tag("slow")
class StreamingBackpressureTest {
    private static final long ONE_GIB = 1L << 30;
    /** Socket buffers on both hops plus the proxy's bounded buffers stay far below this. */
    private static final long STALL_BOUND = 32L << 20;

    private EventLoopGroup group;
    private Channel originChannel;
    private final AtomicLong originSent = new AtomicLong();
    private final AtomicLong originReceived = new AtomicLong();
    private volatile boolean originReads = true;
    private volatile Channel uploadChannel;

    @BeforeEach
    void startOrigin() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        originChannel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new StreamingOrigin());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterEach
    void stopOrigin() {
        originChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private int originPort() {
        return ((InetSocketAddress) originChannel.localAddress()).getPort();
    }

    @Test
    void slowClientReadingOneGibDoesNotGrowProxyMemory() throws Exception {
        try (FerryHarness ferry = FerryHarness.proxyTo("", originPort());
             RawClient client = new RawClient(ferry.port())) {
            client.socket().setReceiveBufferSize(64 * 1024);
            client.send("GET /download HTTP/1.1\r\nHost: t\r\n\r\n");
            // The client does not read. The origin must stall once the buffers on the way are full.
            long sent = waitUntilStable(originSent);
            assertTrue(sent < STALL_BOUND, "origin could push " + sent + " bytes to a stalled client");

            InputStream in = client.input();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            long total = 0;
            byte[] buf = new byte[256 * 1024];
            int n;
            while (total < ONE_GIB && (n = in.read(buf, 0, (int) Math.min(buf.length, ONE_GIB - total))) > 0) {
                total += n;
            }
            assertEquals(ONE_GIB, total);
            assertEquals(ONE_GIB, originSent.get());
        }
    }

    @Test
    void slowOriginReadingAnUploadStallsTheClient() throws Exception {
        originReads = false;
        long size = 256L << 20;
        try (FerryHarness ferry = FerryHarness.proxyTo("limits.max-body-size = 1g", originPort());
             RawClient client = new RawClient(ferry.port())) {
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = client.socket().getOutputStream();
                    out.write(("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    byte[] chunk = new byte[64 * 1024];
                    for (long left = size; left > 0; left -= chunk.length) {
                        out.write(chunk, 0, (int) Math.min(chunk.length, left));
                        written.addAndGet(Math.min(chunk.length, left));
                    }
                    out.flush();
                } catch (Exception e) {
                    // reported by the assertions below
                }
            }, "uploader");
            writer.start();
            long stalled = waitUntilStable(written);
            assertTrue(stalled < STALL_BOUND, "client could push " + stalled + " bytes into a stalled upstream");

            originReads = true;
            Channel ch = uploadChannel;
            ch.eventLoop().execute(() -> ch.config().setAutoRead(true));
            writer.join(60_000);
            RawClient.Response r = client.read();
            assertEquals(200, r.status());
            assertEquals("received " + size, r.bodyText());
            assertEquals(size, written.get());
        }
    }

    /** Waits until a counter stops moving for 500 ms (bounded to 20 s) and returns its value. */
    private static long waitUntilStable(AtomicLong counter) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 40; i++) {
            Thread.sleep(500);
            long now = counter.get();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
        }
        return counter.get();
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            sb.append((char) b);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return sb.toString();
    }

    /** Downloads: 1 GiB written only while the channel is writable. Uploads: counted, read on demand. */
    private final class StreamingOrigin extends ChannelInboundHandlerAdapter {
        private final ByteBuf storage = Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024);
        /** Slices of it are written over and over; the storage itself is released with the handler. */
        private final ByteBuf block = Unpooled.unreleasableBuffer(storage);
        private long remaining;
        private boolean uploading;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest req) {
                uploading = req.uri().equals("/upload");
                if (uploading) {
                    uploadChannel = ctx.channel();
                    if (!originReads) {
                        ctx.channel().config().setAutoRead(false);
                    }
                } else {
                    DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    res.headers().set(HttpHeaderNames.CONTENT_LENGTH, ONE_GIB);
                    ctx.writeAndFlush(res);
                    remaining = ONE_GIB;
                    writeMore(ctx);
                }
            }
            if (msg instanceof HttpContent content) {
                originReceived.addAndGet(content.content().readableBytes());
                if (uploading && content instanceof LastHttpContent) {
                    byte[] body = ("received " + originReceived.get()).getBytes(StandardCharsets.US_ASCII);
                    DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    res.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                    ctx.write(res);
                    ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultLastHttpContent(Unpooled.wrappedBuffer(body)));
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeMore(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            storage.release();
        }

        private void writeMore(ChannelHandlerContext ctx) {
            while (remaining > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(block.capacity(), remaining);
                remaining -= n;
                originSent.addAndGet(n);
                HttpContent part = remaining == 0
                        ? new io.netty.handler.codec.http.DefaultLastHttpContent(block.retainedSlice(0, n))
                        : new DefaultHttpContent(block.retainedSlice(0, n));
                ctx.write(part).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            }
            ctx.flush();
        }
    }
}
