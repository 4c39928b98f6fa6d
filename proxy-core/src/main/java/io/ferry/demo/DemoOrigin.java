package io.ferry.demo;

import io.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A small origin server built into Ferry, so that the default config answers on a fresh machine: it
 * shows each request as the origin received it through the proxy (request line, X-Forwarded-*, Via).
 * It stands in for the Apache or php-fpm a real deployment puts behind Ferry.
 */
public final class DemoOrigin implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;

    private DemoOrigin(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static DemoOrigin start(Transport transport, String bind, int port) throws InterruptedException {
        return start(transport, bind, port, io.ferry.handover.HandedOverSockets.none());
    }

    /** Starts on the socket {@code handedOver} holds for the address, if any (an upgrade), else binds. */
    public static DemoOrigin start(Transport transport, String bind, int port,
                                   io.ferry.handover.HandedOverSockets handedOver) throws InterruptedException {
        EventLoopGroup group = transport.newGroup(1, new DefaultThreadFactory("ferry-demo-origin"));
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(),
                                    new HttpServerKeepAliveHandler(),
                                    new HttpObjectAggregator(1024 * 1024),
                                    new PageHandler());
                        }
                    });
            Channel ch = handedOver.bind(b, transport, bind, port, -1).sync().channel();
            return new DemoOrigin(group, ch);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The listening channel (an upgrade hands its socket over). */
    public Channel channel() {
        return channel;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class PageHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            StringBuilder html = new StringBuilder(1024)
                    .append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Ferry demo origin</title>")
                    .append("<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px;font-family:monospace}"
                            + "</style></head>\n<body><h1>Ferry is running</h1>\n")
                    .append("<p>This page comes from Ferry's built-in demo origin, reached through the proxy. "
                            + "Point <code>ferry.backends</code> in <code>conf/ferry.conf</code> at your own "
                            + "servers to put Ferry in front of them.</p>\n")
                    .append("<h2>The request as the origin received it</h2>\n<p><code>")
                    .append(escape(req.method() + " " + req.uri() + " " + req.protocolVersion()))
                    .append("</code></p>\n<table>\n");
            for (Map.Entry<String, String> h : req.headers()) {
                html.append("<tr><td>").append(escape(h.getKey())).append("</td><td>")
                        .append(escape(h.getValue())).append("</td></tr>\n");
            }
            html.append("</table>\n<p>Request body: ").append(req.content().readableBytes())
                    .append(" bytes</p>\n</body></html>\n");
            byte[] bytes = html.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuf body = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            res.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                    .set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=60");
            if (req.method().name().equals("HEAD")) {
                res.content().clear();
            }
            ctx.writeAndFlush(res); // HttpServerKeepAliveHandler closes when the client asked for it
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // clients resetting connections are routine for a demo server
        }

        private static String escape(String s) {
            StringBuilder out = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '<' -> out.append("&lt;");
                    case '>' -> out.append("&gt;");
                    case '&' -> out.append("&amp;");
                    case '"' -> out.append("&quot;");
                    default -> out.append(c);
                }
            }
            return out.toString();
        }
    }
}
