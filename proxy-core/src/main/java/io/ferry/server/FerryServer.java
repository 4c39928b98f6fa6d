package io.ferry.server;

import io.ferry.config.ConfigError;
import io.ferry.config.FerryConfig;
import io.ferry.config.ListenerConfig;
import io.ferry.config.RouteConfig;
import io.ferry.demo.DemoOrigin;
import io.ferry.http.ForwardedHeaders;
import io.ferry.route.Router;
import io.ferry.tls.TlsContexts;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Ferry: event loops, listeners and the upstream pools. {@link #start} binds every listener
 * or fails with a message naming the listener; {@link #shutdown} drains gracefully.
 */
public final class FerryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FerryServer.class);

    private final FerryConfig config;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ClientConnections connections;
    private final Map<String, Channel> listeners;
    private final DemoOrigin demo;
    private volatile boolean stopped;

    private FerryServer(FerryConfig config, EventLoopGroup acceptors, EventLoopGroup workers,
                        ClientConnections connections, Map<String, Channel> listeners, DemoOrigin demo) {
        this.config = config;
        this.acceptors = acceptors;
        this.workers = workers;
        this.connections = connections;
        this.listeners = listeners;
        this.demo = demo;
    }

    /** Everything {@link #start} checks short of binding sockets: transport, TLS material. */
    public static void validate(FerryConfig config) {
        selectTransport(config);
        tlsContexts(config);
    }

    public static FerryServer start(FerryConfig config) {
        Transport transport = selectTransport(config);
        Map<String, SslContext> tls = tlsContexts(config);
        int threads = config.global().ioThreads() == 0 ? NettyRuntime.availableProcessors() : config.global().ioThreads();
        EventLoopGroup acceptors = transport.newGroup(1, new DefaultThreadFactory("ferry-accept"));
        EventLoopGroup workers = transport.newGroup(threads, new DefaultThreadFactory("ferry-io"));
        ClientConnections connections = new ClientConnections(config.global().maxConnections());
        Map<String, Channel> bound = new LinkedHashMap<>();
        DemoOrigin demo = null;
        try {
            if (config.demo().enabled()) {
                demo = startDemo(config, transport);
            }
            Upstreams upstreams = new Upstreams(config, transport);
            Router<io.ferry.upstream.Backend> router = Router.build(config.routes(), RouteConfig::hosts,
                    RouteConfig::pathPrefix, r -> upstreams.backend(r.backend()));
            ForwardedHeaders forwarded = new ForwardedHeaders(config.global().via());
            int largestBacklog = 0;
            for (int i = 0; i < config.listeners().size(); i++) {
                ListenerConfig l = config.listeners().get(i);
                largestBacklog = Math.max(largestBacklog, l.backlog());
                ProxySettings settings = new ProxySettings(l.name(), l.isTls(), router, forwarded,
                        config.limits(), config.timeouts());
                ServerBootstrap b = new ServerBootstrap()
                        .group(acceptors, workers)
                        .channel(transport.serverChannel())
                        .option(ChannelOption.SO_BACKLOG, l.backlog())
                        .option(ChannelOption.SO_REUSEADDR, l.reuseAddress())
                        .childOption(ChannelOption.TCP_NODELAY, l.tcpNoDelay())
                        .childOption(ChannelOption.SO_KEEPALIVE, true)
                        .childHandler(new ClientChannelInitializer(connections, tls.get(l.name()), settings));
                Channel ch;
                try {
                    ch = b.bind(l.bind(), l.port()).syncUninterruptibly().channel();
                } catch (Exception e) {
                    throw new StartupError("ferry.listeners[" + i + "]: cannot listen on " + l.bind() + ":" + l.port()
                            + ": " + e.getMessage(), e);
                }
                bound.put(l.name(), ch);
                log.info("listener {} on {} ({}{}, backlog {})", l.name(), ch.localAddress(),
                        l.isTls() ? "https, " + TlsContexts.provider() : "http", "", l.backlog());
            }
            log.info("Ferry started: transport {}, {} io threads, {} backends, {} routes", transport.name(), threads,
                    config.backends().size(), config.routes().size());
            SystemLimits.check(config.global().maxConnections(), largestBacklog);
            return new FerryServer(config, acceptors, workers, connections, bound, demo);
        } catch (RuntimeException e) {
            for (Channel ch : bound.values()) {
                ch.close().syncUninterruptibly();
            }
            if (demo != null) {
                demo.close();
            }
            acceptors.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    private static DemoOrigin startDemo(FerryConfig config, Transport transport) {
        try {
            DemoOrigin demo = DemoOrigin.start(transport, config.demo().bind(), config.demo().port());
            log.info("demo origin on {}:{}", config.demo().bind(), demo.port());
            return demo;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupError("interrupted while starting the demo origin", e);
        } catch (Exception e) {
            throw new StartupError("ferry.demo: cannot listen on " + config.demo().bind() + ":" + config.demo().port()
                    + ": " + e.getMessage(), e);
        }
    }

    private static Transport selectTransport(FerryConfig config) {
        try {
            return Transport.select(config.global().transport());
        } catch (IllegalStateException e) {
            throw new ConfigError("ferry.global.transport", e.getMessage());
        }
    }

    private static Map<String, SslContext> tlsContexts(FerryConfig config) {
        Map<String, SslContext> contexts = new LinkedHashMap<>();
        for (ListenerConfig l : config.listeners()) {
            if (l.isTls()) {
                contexts.put(l.name(), TlsContexts.forServer(l.tls(), l.name()));
            }
        }
        return contexts;
    }

    public FerryConfig config() {
        return config;
    }

    /** The address a listener is bound to (its real port when the config said 0). */
    public InetSocketAddress address(String listenerName) {
        Channel ch = listeners.get(listenerName);
        if (ch == null) {
            throw new IllegalArgumentException("no listener " + listenerName);
        }
        return (InetSocketAddress) ch.localAddress();
    }

    public int port(String listenerName) {
        return address(listenerName).getPort();
    }

    /** The demo origin's port, or -1 when it is not enabled. */
    public int demoPort() {
        return demo == null ? -1 : demo.port();
    }

    public int clientConnections() {
        return connections.count();
    }

    /**
     * Graceful stop: close the listeners, let in-flight exchanges finish (idle keepalive connections
     * close at once, busy ones after their response) until {@code timeouts.shutdown}, then cut the rest.
     */
    public void shutdown() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        long deadline = System.nanoTime() + config.timeouts().shutdown().toNanos();
        List<Channel> closing = new ArrayList<>(listeners.values());
        for (Channel ch : closing) {
            ch.close().syncUninterruptibly();
        }
        log.info("shutting down: listeners closed, draining {} client connections", connections.count());
        for (Channel ch : connections.channels()) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(Drain.INSTANCE));
        }
        while (connections.count() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (connections.count() > 0) {
            log.warn("{} client connections still busy after timeouts.shutdown; closing them", connections.count());
            connections.channels().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (demo != null) {
            demo.close();
        }
        log.info("Ferry stopped");
    }

    @Override
    public void close() {
        shutdown();
    }
}
