package io.ferry.frontend;

import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxySettings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a TLS listener: once the handshake is done, the protocol the client chose by ALPN (RFC 7301) gets
 * its handlers; a client that offered no ALPN speaks HTTP/1.1. Counts handshakes for the metrics.
 */
final class AlpnSelector extends ApplicationProtocolNegotiationHandler {
    private static final Logger log = LoggerFactory.getLogger(AlpnSelector.class);

    private final ProxySettings settings;
    private final ListenerConfig listener;

    AlpnSelector(ProxySettings settings, ListenerConfig listener) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.settings = settings;
        this.listener = listener;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            settings.metrics().tlsHandshake(settings.listener(), hs.isSuccess());
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        var config = settings.runtime().get().config;
        if (ApplicationProtocolNames.HTTP_2.equals(protocol) && listener.speaksHttp2()) {
            FrontEnds.http2(ctx.pipeline(), settings, config);
        } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol) && listener.speaksHttp1()) {
            FrontEnds.http1(ctx.pipeline(), settings, config);
        } else {
            log.debug("{}: client chose {} by ALPN, which listener {} does not speak; closing", ctx.channel(),
                    protocol, listener.name());
            ctx.close();
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: TLS handshake failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
