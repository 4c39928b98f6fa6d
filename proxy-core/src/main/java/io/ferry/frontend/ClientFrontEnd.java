package io.ferry.frontend;

import io.ferry.exchange.ClientStream;
import io.ferry.exchange.ProxySettings;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * What a channel-handler front end answers about its client's connection: addresses (the PROXY
 * protocol's, if any), TLS. (HTTP/2 streams are not handlers; {@link Http2StreamFrontEnd} answers the
 * same from its connection's channel.)
 */
abstract class ClientFrontEnd extends ChannelInboundHandlerAdapter implements ClientStream {
    protected final ProxySettings settings;
    /** Set in handlerAdded. */
    protected ChannelHandlerContext ctx;

    ClientFrontEnd(ProxySettings settings) {
        this.settings = settings;
    }

    /** The client's TCP connection. */
    abstract Channel clientChannel();

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) clientChannel().localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return FrontEnds.clientAddress(clientChannel());
    }

    @Override
    public SSLSession tlsSession() {
        return FrontEnds.tlsSession(clientChannel());
    }

    @Override
    public boolean tls() {
        return settings.tls();
    }
}
