package io.ferry.server;

import io.ferry.accesslog.AccessLog;
import io.ferry.accesslog.LogFormat;
import io.ferry.config.ConfigError;
import io.ferry.config.FerryConfig;
import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.frontend.Drain;
import io.ferry.handover.HandedOverSockets;
import io.ferry.handover.ListeningSockets;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.tls.TlsContexts;
import io.ferry.transport.StartupError;
import io.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of a running Ferry: opened at start (bound, or taken over from the process being
 * upgraded), changed by a reload without refusing a connection, closed at a stop. A reload that keeps a
 * listener's address keeps its socket: TLS, protocols, PROXY protocol, TCP_NODELAY and the backlog change in
 * place for new connections.
 */
final class Listeners {
    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ClientConnections connections;
    private final Supplier<ProxyRuntime> runtime;
    private final ProxyMetrics metrics;
    private final AccessLog accessLog;
    private final LogFormat logFormat;
    /** A TLS listener is about to open (or turn TLS on): its session-ticket keys are made ready. */
    private final Consumer<ListenerConfig> beforeOpen;

    private final Map<String, Channel> channels = new LinkedHashMap<>();
    private final Map<Channel, ClientChannelInitializer> initializers = new java.util.HashMap<>();
    /** Sockets handed over by the process this one replaces, until a listener takes each. */
    private final HandedOverSockets handedOver;

    Listeners(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers, ClientConnections connections,
              Supplier<ProxyRuntime> runtime, ProxyMetrics metrics, AccessLog accessLog, LogFormat logFormat,
              Consumer<ListenerConfig> beforeOpen, HandedOverSockets handedOver) {
        this.handedOver = handedOver;
        this.transport = transport;
        this.acceptors = acceptors;
        this.workers = workers;
        this.connections = connections;
        this.runtime = runtime;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.logFormat = logFormat;
        this.beforeOpen = beforeOpen;
    }

    /**
     * Opens listener {@code l} (the {@code index}th of its config); with {@code accept} false it takes no
     * connection until {@link #startAccepting} (a reload's new listener, bound before the configuration that
     * knows it is in force).
     */
    Channel open(ListenerConfig l, int index, boolean accept) {
        if (accept) {
            beforeOpen.accept(l);
        }
        ClientChannelInitializer initializer = new ClientChannelInitializer(connections, settings(l), l);
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .option(ChannelOption.AUTO_READ, accept)
                .option(ChannelOption.SO_BACKLOG, l.backlog())
                .childOption(ChannelOption.SO_KEEPALIVE, true) // TCP_NODELAY: set per connection (a reload may change it)
                // A client may half-close after its request (shutdown(SHUT_WR)): it is answered, as HAProxy does.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(initializer);
        Channel ch;
        try {
            ch = handedOver.bind(b.option(ChannelOption.SO_REUSEADDR, l.reuseAddress()), transport, l.bind(), l.port(),
                    l.backlog()).syncUninterruptibly().channel();
        } catch (Exception e) {
            throw new StartupError("ferry.listeners[" + index + "]: cannot listen on " + l.bind() + ":" + l.port()
                    + ": " + e.getMessage(), e);
        }
        channels.put(l.name(), ch);
        initializers.put(ch, initializer);
        log.info("listener {} on {} ({}, backlog {})", l.name(), ch.localAddress(),
                l.isTls() ? "https, " + TlsContexts.provider() : "http", l.backlog());
        return ch;
    }

    private ProxySettings settings(ListenerConfig l) {
        return new ProxySettings(l.name(), l.isTls(), runtime, metrics, accessLog, logFormat);
    }

    /**
     * A reload's new listeners, bound before the new configuration is in force but accepting nothing yet:
     * one that cannot be bound refuses the reload (the ones bound for it are closed, nothing changed).
     */
    List<Channel> openAdded(FerryConfig current, FerryConfig next) {
        List<Channel> opened = new ArrayList<>();
        for (int i = 0; i < next.listeners().size(); i++) {
            ListenerConfig l = next.listeners().get(i);
            ListenerConfig was = find(current, l.name());
            if (was == null || !sameAddress(was, l)) {
                try {
                    opened.add(open(l, i, false));
                } catch (RuntimeException e) {
                    opened.forEach(ch -> {
                        channels.values().remove(ch);
                        initializers.remove(ch);
                        ch.close().syncUninterruptibly();
                    });
                    throw new ConfigError("ferry.listeners[" + i + "]", "cannot listen on " + l.bind() + ":" + l.port()
                            + ": " + e.getMessage());
                }
            }
        }
        return opened;
    }

    /**
     * The rest of a reload's listener changes, once the new configuration is in force. A listener kept on its
     * address keeps its socket and takes its new settings for new connections; one gone or moved stops
     * accepting (its replacement was opened by {@link #openAdded} and starts now) and its connections are
     * asked to finish (each closes after its current exchange).
     */
    void applyChanges(FerryConfig current, FerryConfig next, List<Channel> opened, Map<String, Channel> replaced) {
        Map<String, ListenerConfig> before = new LinkedHashMap<>();
        current.listeners().forEach(l -> before.put(l.name(), l));
        for (ListenerConfig l : next.listeners()) {
            ListenerConfig was = before.remove(l.name());
            if (was != null && sameAddress(was, l) && !was.equals(l)) {
                reconfigure(l);
            }
        }
        replaced.forEach((name, old) -> close(old, name, "moved"));
        before.keySet().forEach(name -> close(channels.remove(name), name, "removed"));
        for (ListenerConfig l : next.listeners()) {
            Channel ch = channels.get(l.name());
            if (opened.contains(ch)) {
                beforeOpen.accept(l);
                ch.config().setAutoRead(true);
            }
        }
    }

    /**
     * Before {@link #openAdded}: the channels of listeners that will move to another address, taken out of the
     * table so the moved listener can take the name; closed by {@link #applyChanges}, or put back if the reload fails.
     */
    Map<String, Channel> takeMoved(FerryConfig current, FerryConfig next) {
        Map<String, Channel> moved = new LinkedHashMap<>();
        for (ListenerConfig l : next.listeners()) {
            ListenerConfig was = find(current, l.name());
            if (was != null && !sameAddress(was, l)) {
                Channel ch = channels.remove(l.name());
                if (ch != null) {
                    moved.put(l.name(), ch);
                }
            }
        }
        return moved;
    }

    void putBack(Map<String, Channel> moved) {
        channels.putAll(moved);
    }

    private void reconfigure(ListenerConfig l) {
        beforeOpen.accept(l);
        Channel ch = channels.get(l.name());
        ClientChannelInitializer initializer = ch == null ? null : initializers.get(ch);
        if (initializer == null) {
            return;
        }
        initializer.reconfigure(settings(l), l);
        ListeningSockets.listen(ch, l.backlog());
        log.info("reload: listener {} keeps its socket on {}, new connections get its new settings", l.name(),
                ch.localAddress());
    }

    private static boolean sameAddress(ListenerConfig a, ListenerConfig b) {
        return a.bind().equals(b.bind()) && a.port() == b.port();
    }

    private static ListenerConfig find(FerryConfig c, String name) {
        return c.listeners().stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
    }

    private void close(Channel server, String name, String why) {
        if (server == null) {
            return;
        }
        initializers.remove(server);
        server.close().syncUninterruptibly();
        List<Future<?>> drains = new ArrayList<>();
        for (Channel ch : connections.channels()) {
            if (ch.parent() == server) {
                drains.add(ch.eventLoop().submit(() -> ch.pipeline().fireUserEventTriggered(Drain.AFTER_NEXT_RESPONSE)));
            }
        }
        // Told before the reload returns: a response already under way after it knows it is the last.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Future<?> f : drains) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        log.warn("reload: listener {} {}: closed, {} of its connections finishing", name, why, drains.size());
    }

    /** Every listening channel by listener name (the hand-over sends their sockets). */
    Map<String, Channel> channels() {
        return channels;
    }

    Channel get(String name) {
        return channels.get(name);
    }

    Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> m = new LinkedHashMap<>();
        channels.forEach((name, ch) -> m.put(name, (InetSocketAddress) ch.localAddress()));
        return m;
    }

    /** Stops accepting on every listener; the sockets stay open in a successor that took them over. */
    void closeAll() {
        for (Channel ch : channels.values()) {
            ch.close().syncUninterruptibly();
        }
    }
}
