package io.ferry.upstream;

import io.ferry.config.ServerConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.ferry.tls.ClientTls;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 to one server (h2 over TLS with ALPN, or h2c with prior knowledge): each event loop keeps one
 * connection to it and every request is a stream on it, so many exchanges share few connections and no
 * stream crosses threads. A stream's pipeline turns the exchange's HTTP objects into frames and back
 * and ends in an {@link UpstreamConnection}, so the exchange drives it as it drives an HTTP/1.1
 * connection (server timeout, backpressure through the stream's window, reset = connection lost).
 * A connection the server sends GOAWAY on takes no new streams; the next request opens another.
 */
final class Http2Upstream implements Connector {
    private static final Logger log = LoggerFactory.getLogger(Http2Upstream.class);

    private final ServerPool pool;
    private final SocketAddress remote;
    private final Bootstrap template;
    private final AtomicInteger open;
    private final IntSupplier maxConnections;
    private final long idleNanos;
    private final FastThreadLocal<LoopState> loops = new FastThreadLocal<>() {
        @Override
        protected LoopState initialValue() {
            return new LoopState();
        }
    };

    /** @param tls null for h2c */
    Http2Upstream(ServerPool pool, ServerConfig server, SocketAddress remote, Bootstrap base, ClientTls tls,
            AtomicInteger open, IntSupplier maxConnections, long idleNanos, long shutdownMillis) {
        this.pool = pool;
        this.remote = remote;
        this.open = open;
        this.maxConnections = maxConnections;
        this.idleNanos = idleNanos;
        this.template = base.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), remote));
                }
                ch.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient()
                        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                        .gracefulShutdownTimeoutMillis(shutdownMillis)
                        .build());
                ch.pipeline().addLast("streams", new Http2MultiplexHandler(new PushRefused()));
                ch.pipeline().addLast("connection", new ConnectionWatch(tls != null));
            }
        });
    }

    /** A stream on this loop's connection (opened first if needed); null at pool.max-connections. */
    @Override
    public Future<UpstreamConnection> open(EventLoop loop, InetSocketAddress client,
                                           java.util.function.Supplier<InetSocketAddress> ferry) {
        LoopState state = loops.get();
        Promise<UpstreamConnection> stream = loop.newPromise();
        if (state.connection != null && state.connection.isActive()) {
            openStream(state, stream);
            return stream;
        }
        if (state.connecting == null) {
            if (open.incrementAndGet() > maxConnections.getAsInt()) {
                open.decrementAndGet();
                return null;
            }
            ChannelFuture f = ConnectNow.connect(template.clone(loop), remote);
            f.channel().closeFuture().addListener(closed -> open.decrementAndGet());
            state.connecting = f;
            f.addListener((ChannelFuture done) -> {
                state.connecting = null;
                if (done.isSuccess()) {
                    state.connection = done.channel();
                    state.streams = new Http2StreamChannelBootstrap(done.channel()).handler(new StreamInitializer());
                }
            });
        }
        state.connecting.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                openStream(state, stream);
            } else {
                stream.tryFailure(done.cause());
            }
        });
        return stream;
    }

    private static void openStream(LoopState state, Promise<UpstreamConnection> result) {
        state.streams.open().addListener((Future<Http2StreamChannel> opened) -> {
            if (opened.isSuccess()) {
                result.trySuccess(opened.getNow().pipeline().get(UpstreamConnection.class));
            } else {
                result.tryFailure(opened.cause());
            }
        });
    }

    @Override
    public boolean multiplexed() {
        return true;
    }

    /** Closes this loop's connection once its streams have ended (a reload retired the pool). */
    @Override
    public void retireOnThisLoop() {
        LoopState state = loops.get();
        if (state.connection != null) {
            state.connection.close();
            state.connection = null;
        }
    }

    /** A stream's pipeline: frames ↔ HTTP objects, then the exchange's end of it. */
    private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast("codec", new Http2StreamFrameToHttpObjectCodec(false, false));
            ch.pipeline().addLast("heads", new ResponseHeads());
            ch.pipeline().addLast("upstream", new UpstreamConnection(pool, idleNanos, false)); // a stream ends with its exchange
        }
    }

    /**
     * Response heads as an HTTP/1.1 server's would arrive: without Netty's x-http2-* extension fields,
     * and a HEADERS frame that ends the stream (gRPC's trailers-only answer) as a head plus an empty end.
     */
    private static final class ResponseHeads extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse res) {
                res.headers().remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
                res.headers().remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
                if (msg instanceof FullHttpResponse full) {
                    ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
                    LastHttpContent end = new DefaultLastHttpContent(full.content().retain());
                    end.trailingHeaders().set(full.trailingHeaders());
                    full.release();
                    ctx.fireChannelRead(end);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Servers may not push to Ferry (SETTINGS_ENABLE_PUSH 0); a stream they open anyway is dropped. */
    private static final class PushRefused extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    /**
     * The connection beside its streams: ALPN must have chosen h2; after GOAWAY it takes no new streams;
     * without a stream for pool.idle-timeout it closes, as an idle HTTP/1.1 connection does (checked by one
     * task per connection).
     */
    private final class ConnectionWatch extends ChannelInboundHandlerAdapter implements Runnable {
        private final boolean tls;
        private ChannelHandlerContext ctx;
        private long idleSince = System.nanoTime();

        ConnectionWatch(boolean tls) {
            this.tls = tls;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.pipeline().get(Http2FrameCodec.class).connection().addListener(new Http2ConnectionAdapter() {
                @Override
                public void onStreamClosed(Http2Stream stream) {
                    idleSince = System.nanoTime();
                }
            });
            ctx.executor().schedule(this, idleNanos, TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void run() {
            if (!ctx.channel().isActive()) {
                return;
            }
            long now = System.nanoTime();
            if (ctx.pipeline().get(Http2FrameCodec.class).connection().numActiveStreams() > 0) {
                idleSince = now;
            } else if (now - idleSince >= idleNanos) {
                forget(ctx.channel());
                ctx.close();
                return;
            }
            ctx.executor().schedule(this, idleSince + idleNanos - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (tls && evt instanceof SslHandshakeCompletionEvent hs && hs.isSuccess()) {
                String chosen = ctx.pipeline().get(SslHandler.class).applicationProtocol();
                if (!ApplicationProtocolNames.HTTP_2.equals(chosen)) {
                    log.warn("server {} did not choose h2 by ALPN (chose {}); closing", pool.name(), chosen);
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2GoAwayFrame) {
                forget(ctx.channel());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            forget(ctx.channel());
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection to {}: {}", pool.name(), cause.toString());
        }

        private void forget(Channel ch) {
            LoopState state = loops.get();
            if (state.connection == ch) {
                state.connection = null;
            }
        }
    }

    /** One event loop's connection to the server. Touched only by that loop's thread. */
    private static final class LoopState {
        Channel connection;
        Http2StreamChannelBootstrap streams;
        ChannelFuture connecting;
    }
}
