package io.ferry.frontend;

import io.ferry.config.FerryConfig;
import io.ferry.config.Http2Config;
import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxySettings;
import io.ferry.http1.Http1ServerCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
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

    /** The handler that decides the protocol, after TLS (if any) and the request-head timeout. */
    public static void addProtocolSelection(ChannelPipeline p, ProxySettings settings, ListenerConfig listener,
            FerryConfig config) {
        var timeouts = config.timeouts();
        p.addLast(HEAD_TIMEOUT, new RequestHeadTimeout(timeouts.httpKeepAlive().toNanos(),
                timeouts.httpRequest().toNanos()));
        if (listener.isTls()) {
            p.addLast("alpn", new AlpnSelector(settings, listener));
        } else if (listener.speaksHttp1() && listener.speaksHttp2()) {
            p.addLast("preface", new PrefaceDetector(settings));
        } else if (listener.speaksHttp2()) {
            http2(p, settings, config);
        } else {
            http1(p, settings, config);
        }
    }

    /** HTTP/1.1: the lean codec (line, header and framing checks; fields kept as received), chunked file writes on TLS, the front end. */
    static void http1(ChannelPipeline p, ProxySettings settings, FerryConfig config) {
        RequestHeadTimeout headTimeout = (RequestHeadTimeout) p.get(HEAD_TIMEOUT);
        p.addLast("http", new Http1ServerCodec(config.limits().maxRequestLine(), config.limits().maxHeaderSize()));
        if (settings.tls()) {
            p.addLast("chunked", new ChunkedWriteHandler()); // static files go through TLS in chunks
        }
        p.addLast("proxy", new Http1FrontEnd(settings, headTimeout));
    }

    /**
     * HTTP/2: the frame codec (with Ferry's flood budgets), one child channel per stream running an
     * {@link Http2StreamFrontEnd}, and the connection's own handler (idle timeout, graceful GOAWAY).
     */
    static void http2(ChannelPipeline p, ProxySettings settings, FerryConfig config) {
        if (p.get(HEAD_TIMEOUT) != null) {
            p.remove(HEAD_TIMEOUT); // the connection handler times idle HTTP/2 connections
        }
        Http2Config h2 = config.http2();
        Http2Settings initial = Http2Settings.defaultSettings()
                .maxConcurrentStreams(h2.maxConcurrentStreams())
                .initialWindowSize(h2.initialWindowSize())
                .maxFrameSize(h2.maxFrameSize())
                .maxHeaderListSize(h2.maxHeaderListSize());
        Http2FrameCodec codec = new GuardedFrameCodecBuilder(settings, h2)
                .initialSettings(initial)
                .decoupleCloseAndGoAway(true) // Http2ConnectionFrontEnd sends GOAWAY and waits for streams
                .validateHeaders(true)
                .validateRequiredPseudoHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(h2.maxResets(), (int) Math.max(1, h2.resetWindow().toSeconds()))
                .decoderEnforceMaxSmallContinuationFrames(h2.maxContinuationFrames())
                .decoderEnforceMaxConsecutiveEmptyDataFrames(h2.maxEmptyDataFrames())
                .encoderEnforceMaxQueuedControlFrames(h2.maxQueuedControlFrames())
                .build();
        Http2ConnectionFrontEnd connection = new Http2ConnectionFrontEnd(
                config.timeouts().httpKeepAlive().toNanos(), config.timeouts().lingeringClose().toNanos(),
                config.timeouts().client().toNanos(), clientIp(p.channel()));
        // Many streams' responses share the connection: room for several frames of each before it pushes back.
        p.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(128 * 1024, 256 * 1024));
        p.addLast("h2", codec);
        // Streams flush their responses as they end; one flush per event-loop turn writes them together.
        p.addLast("h2-flush", new FlushConsolidationHandler(256, true));
        p.addLast("h2-streams", new Http2MultiplexHandler(new Http2StreamInitializer(settings, connection)));
        p.addLast("h2-connection", connection);
    }

    static String clientIp(Channel ch) {
        InetSocketAddress client = clientAddress(ch);
        return client != null ? client.getAddress().getHostAddress() : "unknown";
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
