package io.ferry.server;

import io.ferry.config.FerryConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.config.ListenerConfig;
import io.ferry.frontend.FrontEnds;
import io.ferry.frontend.ProxyProtocolReceiver;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;

/**
 * The client pipeline of one listener, top to bottom: connection count/limit → PROXY protocol header (when
 * the listener expects one) → TLS (https listeners) →
 * request-head timeouts → the protocol's handlers ({@link FrontEnds}): for HTTP/1.1 its codec and the
 * front end that runs one exchange at a time; for HTTP/2 the frame codec and one front end per stream.
 * Limits, timeouts, protocols and the TLS certificate come from the runtime current when the connection
 * is accepted, so a reload applies them to new connections.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ClientConnections connections;
    private final ProxySettings settings;

    /** The listener as bound; a reload that renames it leaves this one as it was. */
    private final ProxyRuntime.Listener fallback;

    ClientChannelInitializer(ClientConnections connections, ProxySettings settings, ListenerConfig listener) {
        this.connections = connections;
        this.settings = settings;
        this.fallback = ProxyRuntime.Listener.of(listener);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ProxyRuntime runtime = settings.runtime().get();
        FerryConfig config = runtime.config;
        ChannelPipeline p = ch.pipeline();
        p.addLast("connections", connections);
        ProxyRuntime.Listener current = runtime.listener(settings.listener());
        ProxyRuntime.Listener listener = current != null ? current : fallback;
        if (listener.config().proxyProtocol()) {
            ProxyProtocolReceiver.install(ch, listener.proxyProtocolFrom());
        }
        if (settings.tls()) {
            p.addLast("tls", runtime.tls.get(settings.listener()).newHandler(ch.alloc()));
        }
        FrontEnds.addProtocolSelection(p, settings, listener.config(), config);
    }
}
