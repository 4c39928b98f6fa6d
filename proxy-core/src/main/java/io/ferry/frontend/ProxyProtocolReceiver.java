package io.ferry.frontend;

import io.ferry.config.Cidr;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener behind a load balancer that speaks the PROXY protocol (v1 text or v2 binary, told apart by
 * Netty's decoder): the header before any other byte names the client, and that address is the
 * connection's client from then on. Only peers in {@code proxy-protocol-from} may send it; a connection
 * from anywhere else, or one that does not start with a valid header, is closed.
 */
public final class ProxyProtocolReceiver extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolReceiver.class);
    /** The client the PROXY header named, when it named one (a LOCAL header, a health check, does not). */
    static final AttributeKey<InetSocketAddress> CLIENT = AttributeKey.valueOf("ferry.proxy-protocol.client");

    private final List<Cidr> from;

    private ProxyProtocolReceiver(List<Cidr> from) {
        this.from = from;
    }

    /** Puts the decoder and the receiver at the end of {@code ch}'s pipeline (before TLS and HTTP). */
    public static void install(Channel ch, List<Cidr> from) {
        ch.pipeline().addLast("proxy-protocol", new HAProxyMessageDecoder());
        ch.pipeline().addLast("proxy-protocol-client", new ProxyProtocolReceiver(from));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress peer = ctx.channel().remoteAddress();
        if (!(peer instanceof InetSocketAddress inet) || !Cidr.anyContains(from, inet.getAddress())) {
            log.warn("closing connection from {}: not in proxy-protocol-from, so it may not send a PROXY header", peer);
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (header.command() == HAProxyCommand.PROXY && (header.proxiedProtocol() == HAProxyProxiedProtocol.TCP4
                    || header.proxiedProtocol() == HAProxyProxiedProtocol.TCP6)) {
                InetAddress client = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
                if (client != null) {
                    ctx.channel().attr(CLIENT).set(new InetSocketAddress(client, header.sourcePort()));
                }
            }
        } finally {
            header.release();
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("closing connection from {}: bad PROXY protocol header: {}", ctx.channel().remoteAddress(),
                cause.getMessage());
        ctx.close();
    }
}
