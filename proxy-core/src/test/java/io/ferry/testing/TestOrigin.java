package io.ferry.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real Netty HTTP/1.1 origin on 127.0.0.1 for tests. It records every request it receives (with the
 * client port of the connection it came on, so connection reuse is visible) and answers through a
 * responder function; a responder returning null leaves the request unanswered (a hanging server).
 */
public final class TestOrigin implements AutoCloseable {
    /** A request as the origin received it. */
    public record Received(String method, String uri, HttpHeaders headers, byte[] body, int remotePort) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** What the origin answers. */
    public record Reply(int status, Map<String, String> headers, byte[] body) {
        public static Reply ok(String body) {
            return new Reply(200, Map.of("Content-Type", "text/plain"), body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Function<Received, Reply> responder;
    private volatile long delayMillis;
    // Holding: answers wait until releaseHeld(); touched on the origin's one event loop only.
    private boolean holding;
    private final java.util.ArrayDeque<Runnable> held = new java.util.ArrayDeque<>();
    private final AtomicInteger heldNow = new AtomicInteger();
    private final AtomicInteger heldMost = new AtomicInteger();

    private TestOrigin(Function<Received, Reply> responder, int port) throws InterruptedException {
        this(responder, "127.0.0.1", port, null);
    }

    private TestOrigin(Function<Received, Reply> responder, int port, SslContext tls) throws InterruptedException {
        this(responder, "127.0.0.1", port, tls);
    }

    private TestOrigin(Function<Received, Reply> responder, String host, int port, SslContext tls) throws InterruptedException {
        this.responder = responder;
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(64 * 1024 * 1024), new Handler());
                    }
                }).option(io.netty.channel.ChannelOption.SO_REUSEADDR, true)
                .option(io.netty.channel.ChannelOption.SO_BACKLOG, 4096)
                .bind(host, port).sync().channel();
    }

    public static TestOrigin start(Function<Received, Reply> responder) {
        return startOn(0, responder);
    }

    /** An origin on a given port (0: any free one). */
    public static TestOrigin startOn(int port, Function<Received, Reply> responder) {
        try {
            return new TestOrigin(responder, port);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An origin on another loopback address (127.0.0.2 …), for tests that tell servers apart by address. */
    public static TestOrigin startOn(String host, int port, Function<Received, Reply> responder) {
        try {
            return new TestOrigin(responder, host, port, null);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An origin speaking TLS with {@code tls} (a server context), answering "hello &lt;uri&gt;". */
    public static TestOrigin startTls(SslContext tls) {
        try {
            return new TestOrigin(r -> Reply.ok("hello " + r.uri()), 0, tls);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An origin answering 200 with "hello &lt;uri&gt;". */
    public static TestOrigin echoUri() {
        return start(r -> Reply.ok("hello " + r.uri()));
    }

    /** From now on requests are received but not answered until {@link #releaseHeld}. */
    public void hold() throws InterruptedException {
        group.next().submit(() -> holding = true).sync();
    }

    /** Answers every held request and stops holding. */
    public void releaseHeld() throws InterruptedException {
        group.next().submit(() -> {
            holding = false;
            Runnable r;
            while ((r = held.poll()) != null) {
                r.run();
            }
        }).sync();
    }

    /** Requests received and not yet answered because of {@link #hold}. */
    public int heldNow() {
        return heldNow.get();
    }

    /** Waits (at most {@code maxMillis}) until {@code n} requests are held; false if they never were. */
    public boolean awaitHeld(int n, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        synchronized (heldNow) {
            while (heldNow.get() < n) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return false;
                }
                heldNow.wait(left);
            }
        }
        return true;
    }

    /** The most requests ever held at once: the server's concurrency while holding. */
    public int mostHeldAtOnce() {
        return heldMost.get();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public List<Received> requests() {
        return received;
    }

    public int connectionsAccepted() {
        return connections.get();
    }

    public void respondWith(Function<Received, Reply> responder) {
        this.responder = responder;
    }

    /** Answers every request this much later (without blocking the origin's event loop). */
    public void delayReplies(long millis) {
        this.delayMillis = millis;
    }

    @Override
    public void close() {
        if (group.isShuttingDown()) {
            return;
        }
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            byte[] body = new byte[req.content().readableBytes()];
            req.content().getBytes(req.content().readerIndex(), body);
            Received r = new Received(req.method().name(), req.uri(), req.headers().copy(), body,
                    ((InetSocketAddress) ctx.channel().remoteAddress()).getPort());
            received.add(r);
            Reply reply = responder.apply(r);
            if (reply == null) {
                return;
            }
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(reply.status()), Unpooled.wrappedBuffer(reply.body()));
            reply.headers().forEach(res.headers()::set);
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
            long delay = delayMillis;
            if (holding) {
                heldMost.accumulateAndGet(heldNow.incrementAndGet(), Math::max);
                synchronized (heldNow) {
                    heldNow.notifyAll();
                }
                held.add(() -> {
                    heldNow.decrementAndGet();
                    ctx.writeAndFlush(res);
                });
            } else if (delay > 0) {
                ctx.executor().schedule(() -> ctx.writeAndFlush(res), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
            } else {
                ctx.writeAndFlush(res);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // resets and cut requests are what several tests provoke
        }
    }
}
