package io.ferry.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The client pipeline of one listener, top to bottom:
 * connection count/limit → TLS (https listeners) → request-head timeouts → HTTP/1.1 codec (line, header
 * and framing checks) → client inactivity → the proxy state machine.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ClientConnections connections;
    private final SslContext ssl;
    private final ProxySettings settings;
    private final HttpDecoderConfig decoderConfig;

    ClientChannelInitializer(ClientConnections connections, SslContext ssl, ProxySettings settings) {
        this.connections = connections;
        this.ssl = ssl;
        this.settings = settings;
        this.decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.limits().maxRequestLine())
                .setMaxHeaderSize(settings.limits().maxHeaderSize())
                .setMaxChunkSize(64 * 1024);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast("connections", connections);
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(ch.alloc()));
        }
        var timeouts = settings.timeouts();
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(
                timeouts.httpKeepAlive().toNanos(), timeouts.httpRequest().toNanos());
        p.addLast("head-timeout", headTimeout);
        p.addLast("http", new HttpServerCodec(decoderConfig));
        p.addLast("client-timeout", new IdleStateHandler(true, 0, 0,
                timeouts.client().toNanos(), TimeUnit.NANOSECONDS));
        p.addLast("proxy", new ProxyHandler(settings, headTimeout));
    }
}
