package io.ferry.health;

import io.ferry.config.HealthCheckConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.ferry.tls.ClientTls;
import io.netty.util.ReferenceCountUtil;

/**
 * The active check of an h2 or h2c backend: the HTTP check's request, sent as one stream of a new
 * HTTP/2 connection (with ALPN h2 over TLS for h2), so a server that speaks only HTTP/2 — a gRPC
 * service — is checked in its own protocol. The response comes back to the checker as an HttpResponse.
 */
public final class Http2HealthCheck implements HealthChecker.Protocol {
    private final ClientTls tls;

    /** @param tls null for h2c */
    public Http2HealthCheck(ClientTls tls) {
        this.tls = tls;
    }

    @Override
    public Object install(Channel ch, HealthCheckConfig config, HealthChecker.Target target) {
        String check = ch.pipeline().lastContext().name(); // the HTTP/2 handlers go in front of the checker
        if (tls != null) {
            ch.pipeline().addBefore(check, "tls", tls.newHandler(ch.alloc(), target.address()));
        }
        ch.pipeline().addBefore(check, "h2", Http2FrameCodecBuilder.forClient().build());
        ch.pipeline().addBefore(check, "streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        ch.pipeline().addBefore(check, "bridge", new StreamBridge());
        return HealthChecker.request(config, target);
    }

    /** Sends the check request written on the connection as a stream, and hands its response back. */
    private static final class StreamBridge extends ChannelDuplexHandler {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!(msg instanceof HttpRequest)) {
                ctx.write(msg, promise);
                return;
            }
            new Http2StreamChannelBootstrap(ctx.channel()).handler(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel stream) {
                    stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                            new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext s, Object response) {
                                    ctx.fireChannelRead(response); // to the checker on the connection
                                }
                            });
                }
            }).open().addListener(f -> {
                if (f.isSuccess()) {
                    ((Http2StreamChannel) f.getNow()).writeAndFlush(msg).addListener(w -> {
                        if (w.isSuccess()) {
                            promise.trySuccess();
                        } else {
                            promise.tryFailure(w.cause());
                        }
                    });
                } else {
                    ReferenceCountUtil.release(msg);
                    promise.tryFailure(f.cause());
                    ctx.fireExceptionCaught(f.cause());
                }
            });
        }
    }
}
