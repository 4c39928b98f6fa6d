package io.ferry.upstream;

import io.ferry.config.BackendConfig;
import io.ferry.config.Limits;
import io.ferry.http.ProxyHeaders;
import io.ferry.http1.Http1ClientCodec;
import io.ferry.tls.ClientTls;
import io.ferry.tls.TlsContexts;
import io.ferry.transport.Transport;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * HTTP/1.1 connections, optionally with a PROXY protocol header naming the client (HAProxy's send-proxy)
 * and TLS. A connection is handed out once its header is written and its handshake done; one that named
 * a client serves that client only and is never pooled.
 */
final class Http1Connector extends SocketConnector {
    private final int maxStatusLine;
    private final int maxHeaderSize;
    private final BackendConfig.SendProxy sendProxy;
    /** TLS on each connection, or null. */
    private final ClientTls tls;
    private final long handshakeTimeoutMillis;

    Http1Connector(ServerPool pool, Transport transport, Limits limits, Duration connectTimeout, ClientTls tls,
                   BackendConfig.SendProxy sendProxy) {
        super(pool, transport, connectTimeout);
        this.maxStatusLine = limits.maxRequestLine();
        this.maxHeaderSize = limits.maxHeaderSize();
        this.sendProxy = sendProxy;
        this.tls = tls;
        this.handshakeTimeoutMillis = Math.max(1, connectTimeout.toMillis());
    }

    @Override
    void initChannel(Channel ch) {
        boolean namesItsClient = sendProxy != BackendConfig.SendProxy.NONE;
        if (namesItsClient) {
            ch.pipeline().addLast("proxy-protocol", HAProxyMessageEncoder.INSTANCE);
        }
        ch.pipeline().addLast("codec", new Http1ClientCodec(maxStatusLine, maxHeaderSize));
        ch.pipeline().addLast("upstream", new UpstreamConnection(pool, idleNanos, !namesItsClient));
    }

    @Override
    void connected(Channel ch, InetSocketAddress client, java.util.function.Supplier<InetSocketAddress> ferry,
                   Promise<UpstreamConnection> ready) {
        UpstreamConnection c = ch.pipeline().get(UpstreamConnection.class);
        if (sendProxy != BackendConfig.SendProxy.NONE) { // before TLS: the header is read in the clear
            ch.write(client == null ? ProxyHeaders.unnamed(sendProxy)
                    : ProxyHeaders.naming(sendProxy, client, ferry.get()), ch.voidPromise());
        }
        if (tls == null) {
            ready.trySuccess(c);
            return;
        }
        SslHandler ssl = tls.newHandler(ch.alloc(), remote);
        ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis); // timeouts.connect covers the handshake too
        ch.pipeline().addBefore("codec", "tls", ssl); // starts the handshake, flushing the header first
        ssl.handshakeFuture().addListener(hs -> {
            if (hs.isSuccess()) {
                ready.trySuccess(c);
            } else {
                ready.tryFailure(new SSLException("TLS handshake with " + pool.name() + " failed: "
                        + TlsContexts.rootMessage(hs.cause())));
            }
        });
    }
}
