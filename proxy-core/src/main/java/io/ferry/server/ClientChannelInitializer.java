package io.ferry.server;

import io.ferry.config.FerryConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.config.ListenerConfig;
import io.ferry.frontend.FrontEnds;
import io.ferry.frontend.ProxyProtocolReceiver;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;

/**
 * The client pipeline of one listener, once the connection is counted in (global.max-connections), top to
 * bottom: PROXY protocol header (when
 * the listener expects one) → TLS (https listeners) →
 * request-head timeouts → the protocol's handlers ({@link FrontEnds}): for HTTP/1.1 its codec and the
 * front end that runs one exchange at a time; for HTTP/2 the frame codec and one front end per stream.
 * Limits, timeouts, protocols and the TLS certificate come from the runtime current when the connection
 * is accepted, so a reload applies them to new connections.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ClientConnections connections;
    private volatile ProxySettings settings;

    /** The listener as bound or last reconfigured; a reload that renames it leaves this one as it was. */
    private volatile ProxyRuntime.Listener fallback;

    /**
     * One receive-size policy for all connections (each keeps its own handle): Netty gives every channel
     * an allocator object of its own, which an idle keepalive connection would carry for nothing.
     */
    private volatile RecvByteBufAllocator sharedRecvAllocator;

    ClientChannelInitializer(ClientConnections connections, ProxySettings settings, ListenerConfig listener) {
        this.connections = connections;
        this.settings = settings;
        this.fallback = ProxyRuntime.Listener.of(listener);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ProxySettings settings = this.settings;
        ProxyRuntime runtime = settings.runtime().get();
        FerryConfig config = runtime.config;
        if (!connections.admit(ch)) {
            return;
        }
        shareRecvAllocator(ch);
        ChannelPipeline p = ch.pipeline();
        ProxyRuntime.Listener current = runtime.listener(settings.listener());
        ProxyRuntime.Listener listener = current != null ? current : fallback;
        if (settings.tls() != listener.config().isTls()) {
            // a reload turned TLS on or off and its new runtime is in force before reconfigure() ran
            settings = new ProxySettings(settings.listener(), listener.config().isTls(), settings.runtime(),
                    settings.metrics(), settings.accessLog(), settings.logFormat());
        }
        ch.config().setTcpNoDelay(listener.config().tcpNoDelay());
        if (listener.config().proxyProtocol()) {
            ProxyProtocolReceiver.install(ch, listener.proxyProtocolFrom());
        }
        if (settings.tls()) {
            p.addLast("tls", runtime.tls.get(settings.listener()).newHandler(ch.alloc()));
        }
        FrontEnds.addProtocolSelection(p, settings, listener.config(), config);
    }

    /** A reload kept this listener's socket and changed its settings: new connections get them. */
    void reconfigure(ProxySettings settings, ListenerConfig listener) {
        this.fallback = ProxyRuntime.Listener.of(listener);
        this.settings = settings;
    }

    private void shareRecvAllocator(SocketChannel ch) {
        RecvByteBufAllocator shared = sharedRecvAllocator;
        if (shared == null) {
            RecvByteBufAllocator own = ch.config().getRecvByteBufAllocator();
            if (!(own instanceof AdaptiveRecvByteBufAllocator adaptive)) {
                return; // configured otherwise: left alone
            }
            // the same policy as the channel's default, its messages-per-read included
            shared = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(
                    ((MaxMessagesRecvByteBufAllocator) adaptive).maxMessagesPerRead());
            sharedRecvAllocator = shared;
        }
        ch.config().setRecvByteBufAllocator(shared);
    }
}
