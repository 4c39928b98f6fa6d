package io.ferry.frontend;

import io.ferry.config.FerryConfig;
import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxySettings;
import io.ferry.http1.Http1ServerCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;
import java.net.SocketAddress;

/**
 * Puts a client connection's protocol handlers in place once its protocol is known: right away when the
 * listener speaks one protocol, after ALPN on TLS, after the first bytes on cleartext (an HTTP/2
 * connection preface, RFC 9113 §3.4, or else HTTP/1.1).
 */
public final class FrontEnds {
    static final String HEAD_TIMEOUT = "head-timeout";

    private FrontEnds() {
    }

    /**
     * The handler that decides the protocol, after TLS (if any) and, while it is being decided, the
     * request-head timeout; a cleartext listener of one protocol gets that protocol's handlers at once.
     */
    public static void addProtocolSelection(ChannelPipeline p, ProxySettings settings, ListenerConfig listener,
            FerryConfig config) {
        var timeouts = config.timeouts();
        boolean detect = listener.isTls() || listener.speaksHttp1() && listener.speaksHttp2();
        if (detect) {
            p.addLast(HEAD_TIMEOUT, new RequestHeadTimeout(timeouts.httpKeepAlive().toNanos(),
                    timeouts.httpRequest().toNanos()));
        }
        if (listener.isTls()) {
            p.addLast("alpn", new AlpnSelector(settings, listener));
        } else if (detect) {
            p.addLast("preface", new PrefaceDetector(settings));
        } else if (listener.speaksHttp2()) {
            http2(p, settings, config);
        } else {
            http1(p, settings, config);
        }
    }

    /**
     * HTTP/1.1: the lean codec (line, header and framing checks; fields kept as received), chunked file
     * writes on TLS, the front end with the connection's one timer. As few handlers as that: each costs
     * every idle keepalive connection a context.
     */
    static void http1(ChannelPipeline p, ProxySettings settings, FerryConfig config) {
        RequestHeadTimeout headTimeout = (RequestHeadTimeout) p.get(HEAD_TIMEOUT);
        if (headTimeout != null) {
            p.remove(headTimeout); // the front end's own timer carries its wait on
        }
        p.addLast("http", new Http1ServerCodec(config.limits().maxRequestLine(), config.limits().maxHeaderSize()));
        if (settings.tls()) {
            p.addLast("chunked", new ChunkedWriteHandler()); // static files go through TLS in chunks
        }
        p.addLast("proxy", new Http1FrontEnd(settings, headTimeout));
    }

    /**
     * HTTP/2: one handler, Netty's connection codec with Ferry's flood budgets, whose frame listener runs
     * an {@link Http2StreamFrontEnd} per stream (no child channel), and the connection's idle timeout and
     * graceful GOAWAY.
     */
    static void http2(ChannelPipeline p, ProxySettings settings, FerryConfig config) {
        if (p.get(HEAD_TIMEOUT) != null) {
            p.remove(HEAD_TIMEOUT); // the connection handler times idle HTTP/2 connections
        }
        var timeouts = config.timeouts();
        Http2ConnectionFrontEnd connection = new Http2FrontEndBuilder(settings, config.http2(),
                timeouts.httpKeepAlive().toNanos(), timeouts.lingeringClose().toNanos(), timeouts.client().toNanos(),
                clientIp(p.channel())).build();
        // Many streams' responses share the connection: room for several frames of each before it pushes back.
        p.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(128 * 1024, 256 * 1024));
        p.addLast("coalesce", new WriteCoalescer()); // a flush of a hundred streams' frames: one buffer
        p.addLast("h2", connection);
    }

    static String clientIp(Channel ch) {
        InetSocketAddress client = clientAddress(ch);
        return client != null ? AddressTexts.of(client.getAddress()) : "unknown";
    }

    /** The TLS session of a connection, or null on cleartext. */
    static SSLSession tlsSession(Channel ch) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        return ssl == null ? null : ssl.engine().getSession();
    }

    /** The connection's client: the address its PROXY protocol header named, else its peer's. */
    static InetSocketAddress clientAddress(Channel ch) {
        if (ch.hasAttr(ProxyProtocolReceiver.CLIENT)) { // hasAttr first: attr() would add an entry to every channel
            return ch.attr(ProxyProtocolReceiver.CLIENT).get();
        }
        SocketAddress remote = ch.remoteAddress();
        return remote instanceof InetSocketAddress inet ? inet : null;
    }
}
