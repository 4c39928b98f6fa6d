package io.ferry.server;

import io.ferry.accesslog.AccessLog;
import io.ferry.accesslog.LogFormat;
import io.ferry.admin.AdminServer;
import io.ferry.admin.ProxyControl;
import io.ferry.transport.StartupError;
import io.ferry.config.BackendConfig;
import io.ferry.config.ConfigError;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.ListenerConfig;
import io.ferry.config.ServerConfig;
import io.ferry.demo.DemoOrigin;
import io.ferry.exchange.CacheFront;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.frontend.Drain;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.tls.ServerTls;
import io.ferry.tls.SessionTickets;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Ferry: event loops, listeners and the current runtime (routes, backends, pools).
 * {@link #start} binds every listener or fails with a message naming it; {@link #reload} swaps the
 * runtime without touching a connection; {@link #shutdown} drains gracefully.
 */
public final class FerryServer implements ProxyControl, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FerryServer.class);

    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ClientConnections connections;
    private final Map<String, Channel> listeners = new LinkedHashMap<>();
    private volatile ProxyRuntime runtime;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final AccessLog accessLog;
    private final LogFormat logFormat;
    private DemoOrigin demo;
    private AdminServer admin;
    private volatile boolean stopped;
    /** Session ticket keys per TLS listener: they outlive a reload, so tickets issued before it still resume. */
    private final Map<String, SessionTickets> tickets = new java.util.concurrent.ConcurrentHashMap<>();

    /** Servers added or removed over the admin API: applied again on every reload. */
    private final RuntimeServers runtimeServers = new RuntimeServers();
    /** The live request log (admin GET /log), one for the server's life. */
    private final io.ferry.accesslog.LiveLog liveLog = new io.ferry.accesslog.LiveLog();
    /** The configuration as the file (or caller) gave it, before discovery and the admin's server changes. */
    private FerryConfig fileConfig;
    /** Servers found by DNS, or null while no backend has one. */
    private io.ferry.discovery.DnsDiscovery discovery;
    /** global.state-file, or null. */
    private final ServerStateFile stateFile;

    /** The cache's clock (epoch millis): the system's, or a test's. */
    private final java.util.function.LongSupplier cacheClock;

    private FerryServer(FerryConfig fileConfig, Transport transport, Map<String, ServerTls> tls,
                        java.util.function.LongSupplier cacheClock) {
        this.transport = transport;
        this.cacheClock = cacheClock;
        String statePath = fileConfig.global().stateFile();
        this.stateFile = statePath.isEmpty() ? null : new ServerStateFile(Path.of(statePath));
        Map<String, ServerStateFile.Saved> saved = new LinkedHashMap<>();
        if (stateFile != null) {
            stateFile.read(saved, runtimeServers);
        }
        this.fileConfig = fileConfig;
        FerryConfig config;
        try {
            config = runtimeServers.applyTo(discovered(fileConfig));
        } catch (RuntimeException e) {
            if (discovery != null) {
                discovery.close(); // a name could not be resolved: nothing of this server stays behind
            }
            throw e;
        }
        int threads = ioThreads(config);
        this.acceptors = transport.newGroup(1, new DefaultThreadFactory("ferry-accept"));
        this.workers = transport.newGroup(threads, new DefaultThreadFactory("ferry-io"));
        this.connections = new ClientConnections(config.global().maxConnections());
        Upstreams upstreams = new Upstreams(config, transport);
        if (!saved.isEmpty()) {
            Map<String, Boolean> checked = new LinkedHashMap<>();
            upstreams.all().forEach((name, b) -> b.servers().forEach(s ->
                    checked.put(name + ' ' + s.name(), b.config().healthCheck() != null)));
            ServerStateFile.apply(saved, upstreams.states(), checked);
            log.info("server state read from {}: {} servers", stateFile.path(), saved.size());
        }
        this.runtime = new ProxyRuntime(config, upstreams, tls, null, cacheClock);
        runtime.messenger = new io.ferry.cluster.PeerMessenger(workers, transport.socketChannel()); // idle without peers
        runtime.live = liveLog;
        io.ferry.config.TracingConfig tracing = config.tracing();
        if (tracing.enabled() && !tracing.endpoint().isEmpty()) {
            runtime.spans = new io.ferry.tracing.SpanExporter(tracing.endpoint(), tracing.serviceName(), tracing.queueSize(),
                    tracing.flushInterval());
        }
        loadCache(runtime);
        for (ListenerConfig l : config.listeners()) {
            if (l.isTls()) {
                SessionTickets t = new SessionTickets(l.tls().tickets(), l.name());
                t.applyTo(tls.get(l.name()));
                tickets.put(l.name(), t);
                long every = t.rotateMillis();
                workers.next().scheduleAtFixedRate(() -> {
                    t.rotate();
                    t.applyTo(runtime.tls.get(l.name()));
                }, every, every, TimeUnit.MILLISECONDS);
            }
        }
        this.logFormat = new LogFormat(config.accessLog().format());
        this.accessLog = config.accessLog().enabled() ? openAccessLog(config) : null;
        ServerGauges.register(metrics.registry(), this::runtime, connections::count,
                () -> accessLog == null ? 0 : accessLog.dropped());
    }

    private static AccessLog openAccessLog(FerryConfig config) {
        String path = config.accessLog().path();
        try {
            return new AccessLog(path.equals("stdout") ? null : Path.of(path), config.accessLog().queue());
        } catch (java.io.IOException e) {
            throw new ConfigError("ferry.access-log.path", "cannot open " + path + ": " + e.getMessage());
        }
    }

    private static int ioThreads(FerryConfig config) {
        return config.global().ioThreads() == 0 ? NettyRuntime.availableProcessors() : config.global().ioThreads();
    }

    /** Everything {@link #start} checks short of binding sockets: transport, TLS material. */
    public static void validate(FerryConfig config) {
        selectTransport(config);
        tlsContexts(config);
    }

    public static FerryServer start(FerryConfig config) {
        return start(config, System::currentTimeMillis);
    }

    /** Starts with the cache on {@code cacheClock} (epoch millis), so a test can age stored objects. */
    public static FerryServer start(FerryConfig config, java.util.function.LongSupplier cacheClock) {
        Transport transport = selectTransport(config);
        FerryServer server = new FerryServer(config, transport, tlsContexts(config), cacheClock);
        try {
            server.bindAll(config);
            return server;
        } catch (RuntimeException e) {
            server.closeNow();
            throw e;
        }
    }

    private void bindAll(FerryConfig config) {
        if (config.demo().enabled()) {
            demo = startDemo(config);
        }
        runtime.upstreams.start(workers, transport);
        WarmUp.run(transport, workers, config.global().warmUp());
        int largestBacklog = 0;
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            largestBacklog = Math.max(largestBacklog, l.backlog());
            bindListener(l, i, true);
        }
        if (config.admin().enabled()) {
            admin = AdminServer.start(this, config.admin(), transport);
        }
        log.info("Ferry started: transport {}, {} io threads, {} backends, {} routes", transport.name(),
                ioThreads(config), config.backends().size(), config.routes().size());
        SystemLimits.check(config.global().maxConnections(), largestBacklog);
    }

    /**
     * Opens listener {@code l} (the {@code index}th of its config) and keeps its channel; with {@code accept}
     * false it is bound but takes no connection until {@code setAutoRead(true)} (a reload's new listener,
     * bound before the configuration that knows it is in force).
     */
    private Channel bindListener(ListenerConfig l, int index, boolean accept) {
        ProxySettings settings = new ProxySettings(l.name(), l.isTls(), this::runtime, metrics, accessLog, logFormat);
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.AUTO_READ, accept)
                .option(ChannelOption.SO_BACKLOG, l.backlog())
                .option(ChannelOption.SO_REUSEADDR, l.reuseAddress())
                .childOption(ChannelOption.TCP_NODELAY, l.tcpNoDelay())
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // A client may half-close after its request (shutdown(SHUT_WR)): it is answered, as HAProxy does.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ClientChannelInitializer(connections, settings, l));
        Channel ch;
        try {
            ch = b.bind(l.bind(), l.port()).syncUninterruptibly().channel();
        } catch (Exception e) {
            throw new StartupError("ferry.listeners[" + index + "]: cannot listen on " + l.bind() + ":" + l.port()
                    + ": " + e.getMessage(), e);
        }
        listeners.put(l.name(), ch);
        log.info("listener {} on {} ({}, backlog {})", l.name(), ch.localAddress(),
                l.isTls() ? "https, " + TlsContexts.provider() : "http", l.backlog());
        return ch;
    }

    /**
     * A reload's new listeners, bound before the new configuration is in force but accepting nothing yet:
     * one that cannot be bound refuses the reload (the ones bound for it are closed, nothing changed).
     */
    private List<Channel> bindAdded(FerryConfig current, FerryConfig next) {
        List<Channel> bound = new ArrayList<>();
        for (int i = 0; i < next.listeners().size(); i++) {
            ListenerConfig l = next.listeners().get(i);
            if (current.listeners().stream().noneMatch(c -> c.name().equals(l.name()))) {
                try {
                    bound.add(bindListener(l, i, false));
                } catch (RuntimeException e) {
                    bound.forEach(ch -> {
                        listeners.values().remove(ch);
                        ch.close().syncUninterruptibly();
                    });
                    throw new ConfigError("ferry.listeners[" + i + "]", "cannot listen on " + l.bind() + ":" + l.port()
                            + ": " + e.getMessage());
                }
            }
        }
        return bound;
    }

    /**
     * The rest of a reload's listener changes, once the new configuration is in force: the new ones start
     * accepting; one gone or changed (address, TLS on or off, protocols, options) stops accepting and its connections
     * are asked to finish (Drain: each closes after its current exchange); a changed one is opened again.
     * A changed listener on the same address is closed before it is opened, so connections arriving in that
     * moment are refused (a few milliseconds).
     */
    private void applyListenerChanges(FerryConfig current, FerryConfig next, List<Channel> added) {
        Map<String, ListenerConfig> before = new LinkedHashMap<>();
        current.listeners().forEach(l -> before.put(l.name(), l));
        for (int i = 0; i < next.listeners().size(); i++) {
            ListenerConfig l = next.listeners().get(i);
            ListenerConfig was = before.remove(l.name());
            if (was == null || socketOf(was).equals(socketOf(l))) {
                continue; // certificates, HSTS and the like change without a new socket
            }
            closeListener(l.name(), "changed");
            try {
                openTickets(l);
                bindListener(l, i, true);
            } catch (RuntimeException e) {
                log.error("reload: listener {} could not be opened again: {}", l.name(), e.getMessage());
            }
        }
        before.keySet().forEach(name -> closeListener(name, "removed"));
        for (Channel ch : added) {
            listeners.entrySet().stream().filter(e -> e.getValue() == ch).findFirst().ifPresent(e ->
                    next.listeners().stream().filter(l -> l.name().equals(e.getKey())).findFirst().ifPresent(this::openTickets));
            ch.config().setAutoRead(true);
        }
    }

    /** What only a new socket changes: the address and socket options, TLS on or off, the protocols. */
    private static String socketOf(ListenerConfig l) {
        return l.bind() + "|" + l.port() + "|" + l.backlog() + "|" + l.reuseAddress() + "|" + l.tcpNoDelay() + "|"
                + l.isTls() + "|" + l.protocols() + "|" + l.proxyProtocol() + "|" + l.proxyProtocolFrom();
    }

    /** A TLS listener opened by a reload gets its session-ticket keys. */
    private void openTickets(ListenerConfig l) {
        if (l.isTls() && !tickets.containsKey(l.name())) {
            SessionTickets t = new SessionTickets(l.tls().tickets(), l.name());
            t.applyTo(runtime.tls.get(l.name()));
            tickets.put(l.name(), t);
        }
    }

    private void closeListener(String name, String why) {
        Channel server = listeners.remove(name);
        if (server == null) {
            return;
        }
        server.close().syncUninterruptibly();
        List<io.netty.util.concurrent.Future<?>> drains = new ArrayList<>();
        for (Channel ch : connections.channels()) {
            if (ch.parent() == server) {
                drains.add(ch.eventLoop().submit(() -> ch.pipeline().fireUserEventTriggered(Drain.INSTANCE)));
            }
        }
        int draining = drains.size();
        // Told before the reload returns: a response already under way after it knows it is the last.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (io.netty.util.concurrent.Future<?> f : drains) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        log.warn("reload: listener {} {}: closed, {} of its connections finishing", name, why, draining);
    }

    private DemoOrigin startDemo(FerryConfig config) {
        try {
            DemoOrigin d = DemoOrigin.start(transport, config.demo().bind(), config.demo().port());
            log.info("demo origin on {}:{}", config.demo().bind(), d.port());
            return d;
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

    private static Map<String, ServerTls> tlsContexts(FerryConfig config) {
        Map<String, ServerTls> contexts = new LinkedHashMap<>();
        for (ListenerConfig l : config.listeners()) {
            if (l.isTls()) {
                contexts.put(l.name(), TlsContexts.forServer(l.tls(), l.name(), l.protocols()));
            }
        }
        return contexts;
    }

    ProxyRuntime runtime() {
        return runtime;
    }

    @Override
    public FerryConfig config() {
        return runtime.config;
    }

    /**
     * Re-reads the config file this server was started from and applies it (SIGHUP, admin reload).
     *
     * @throws ConfigError when the file is invalid; the running config stays in force
     */
    @Override
    public FerryConfig reloadFromSource() {
        String source = runtime.config.source();
        Path file = Path.of(source);
        if (!Files.isRegularFile(file)) {
            throw new ConfigError(source, "this server was not started from a config file; nothing to re-read");
        }
        FerryConfig next = ConfigLoader.load(file);
        reload(next);
        return next;
    }

    /**
     * Swaps in a new configuration: routes, backends, pools, health checks, limits, timeouts and TLS
     * certificates. Requests in flight finish on the old backends, whose idle connections close; new
     * requests, even on existing keepalive connections, use the new ones. No connection is dropped.
     *
     * @throws ConfigError when the new config cannot be applied; the running config stays in force
     */
    public synchronized void reload(FerryConfig fileConfig) {
        if (stopped) {
            throw new IllegalStateException("server is stopped");
        }
        FerryConfig next = runtimeServers.applyTo(discovered(fileConfig));
        FerryConfig current = runtime.config;
        warnRestartOnly(current, next);
        Map<String, ServerTls> tls = tlsContexts(next);
        tls.forEach((name, t) -> {
            SessionTickets keys = tickets.get(name);
            if (keys != null) { // a new TLS listener gets its keys when it opens
                keys.reload();
                keys.applyTo(t);
            }
        });
        ProxyRuntime old = runtime;
        List<Channel> added = bindAdded(current, next);
        Upstreams upstreams = new Upstreams(next, transport, old.upstreams.states());
        ProxyRuntime replacement = new ProxyRuntime(next, upstreams, tls, old, cacheClock);
        old.upstreams.stopChecks(); // the kept servers' checks go on in the new configuration
        upstreams.start(workers, transport);
        runtime = replacement;
        applyListenerChanges(current, next, added);
        old.upstreams.retire(workers, upstreams);
        saveState();
        if (old.cache != null && (replacement.cache == null || replacement.cache.cache != old.cache.cache)) {
            old.cache.cache.clear(); // a new size or lifetimes: start with an empty cache
        }
        this.fileConfig = fileConfig;
        log.info("configuration reloaded from {}: {} backends, {} routes", next.source(), next.backends().size(),
                next.routes().size());
    }

    /**
     * {@code c} with its DNS-discovered entries replaced by the servers their answers name: names not seen
     * before are resolved first (a name that cannot be stops the start or reload), all are watched.
     */
    private FerryConfig discovered(FerryConfig c) {
        if (discovery == null && io.ferry.discovery.DnsDiscovery.names(c).isEmpty()) {
            return c;
        }
        if (discovery == null) {
            discovery = new io.ferry.discovery.DnsDiscovery(c.resolvers(), this::serversDiscovered);
        }
        discovery.prepare(c);
        return discovery.applyTo(c);
    }

    @Override
    public java.util.concurrent.CompletableFuture<java.util.List<io.ferry.cluster.PeerMessenger.Reply>> toPeers(
            io.ferry.cluster.PeerMessenger.Message invalidation) {
        ProxyRuntime r = runtime;
        if (r.cluster == null || !r.cluster.config().purgeFanout() || r.cluster.others().isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(List.of());
        }
        List<Map.Entry<String, String>> fields = new ArrayList<>(invalidation.headers());
        String secret = r.cluster.config().secret();
        fields.add(Map.entry("Ferry-Peer", secret.isEmpty() ? "1" : secret));
        return r.messenger.fanOut(new io.ferry.cluster.PeerMessenger.Message(invalidation.method(), invalidation.uri(),
                List.copyOf(fields)), r.cluster.others(), r.cluster.config().fanoutTimeout(), r.cluster.config().retryFor());
    }

    @Override
    public io.ferry.accesslog.LiveLog liveLog() {
        return liveLog;
    }

    /** Invalidations a fleet peer has not taken yet (sent again until cluster.retry-for). */
    public int pendingPeerInvalidations() {
        return runtime.messenger.pendingCount();
    }

    /** The DNS discovery of servers, or null when no backend has a discovered server. */
    public io.ferry.discovery.DnsDiscovery discovery() {
        return discovery;
    }

    /**
     * cache.persist-file: what the last graceful stop wrote is read back, then the file is deleted (a crash
     * later must not bring this old cache back). A torn or foreign file is logged and ignored.
     */
    private static void loadCache(ProxyRuntime r) {
        String file = r.config.cache().persistFile();
        if (r.cache == null || file.isEmpty() || !Files.exists(Path.of(file))) {
            return;
        }
        try {
            io.ferry.cache.CacheSnapshot.Result read = io.ferry.cache.CacheSnapshot.read(r.cache.cache, Path.of(file));
            log.info("cache: {} objects ({} bytes) read from {} in {} ms", read.objects(), read.bytes(), file, read.millis());
        } catch (java.io.IOException e) {
            log.warn("cache: {} not used ({}); starting with an empty cache", file, e.getMessage());
        }
        try {
            Files.deleteIfExists(Path.of(file));
        } catch (java.io.IOException e) {
            log.warn("cache: cannot delete {} after reading it: {}", file, e.getMessage());
        }
    }

    /** cache.persist-file: the stored objects written at a graceful stop, for the next start. */
    private static void saveCache(ProxyRuntime r) {
        String file = r.config.cache().persistFile();
        if (file.isEmpty()) {
            return;
        }
        try {
            io.ferry.cache.CacheSnapshot.Result written = io.ferry.cache.CacheSnapshot.write(r.cache.cache, Path.of(file));
            log.info("cache: {} objects ({} bytes) written to {} in {} ms", written.objects(), written.bytes(), file,
                    written.millis());
        } catch (java.io.IOException | RuntimeException e) {
            log.error("cache: writing {} failed: {}", file, e.toString());
        }
    }

    /** DNS named other servers for a backend: the configuration is built again; kept servers keep their state. */
    private synchronized void serversDiscovered() {
        if (stopped || runtime == null) {
            return;
        }
        try {
            reload(fileConfig);
        } catch (RuntimeException e) {
            log.error("applying the servers DNS named failed; the running servers stay: {}", e.toString());
        }
    }

    private static void warnRestartOnly(FerryConfig current, FerryConfig next) {
        if (!Objects.equals(current.global(), next.global())) {
            log.warn("reload: changes under ferry.global take effect only after a restart");
        }
        if (!Objects.equals(current.tracing(), next.tracing())) {
            log.warn("reload: changes under ferry.tracing take effect only after a restart");
        }
        if (!Objects.equals(current.demo(), next.demo()) || !Objects.equals(current.admin(), next.admin())
                || !Objects.equals(current.accessLog(), next.accessLog())) {
            log.warn("reload: changes under ferry.demo, ferry.admin and ferry.access-log take effect only after a restart");
        }
    }

    @Override
    public ProxyMetrics metrics() {
        return metrics;
    }

    /** False once a graceful shutdown began (the admin's readiness check). */
    @Override
    public boolean isReady() {
        return !stopped;
    }

    /** Reopens the access log file (logrotate: SIGUSR1 or the admin endpoint). */
    @Override
    public boolean reopenAccessLog() {
        if (accessLog == null) {
            return false;
        }
        accessLog.reopen();
        return true;
    }

    /** The listeners and their bound addresses. */
    @Override
    public Map<String, InetSocketAddress> listenerAddresses() {
        Map<String, InetSocketAddress> m = new LinkedHashMap<>();
        listeners.forEach((name, ch) -> m.put(name, (InetSocketAddress) ch.localAddress()));
        return m;
    }

    /**
     * Adds a server to a backend at runtime, through the same hitless path as a reload. It stays across
     * reloads (and restarts, with a state file) until removed over the admin API.
     */
    @Override
    public synchronized void addServer(String backend, String address, int weight) {
        FerryConfig c = runtime.config;
        BackendConfig b = backendConfig(c, backend);
        if (b.servers().stream().anyMatch(s -> s.name().equals(address))) {
            throw new ConfigError("server " + address, "already in backend " + backend);
        }
        ConfigLoader.runtimeServer(address, weight, 0); // validates the address before anything changes
        runtimeServers.add(backend, address, weight);
        reload(fileConfig);
        log.warn("admin: added server {} to backend {}", address, backend);
    }

    /** Removes a server from a backend at runtime; its requests in flight finish. Kept across reloads too. */
    @Override
    public synchronized void removeServer(String backend, String address) {
        FerryConfig c = runtime.config;
        BackendConfig b = backendConfig(c, backend);
        if (b.servers().stream().noneMatch(s -> s.name().equals(address))) {
            throw new ConfigError("server " + address, "not in backend " + backend);
        }
        if (b.servers().size() == 1) {
            throw new ConfigError("server " + address, "is the last server of backend " + backend);
        }
        runtimeServers.remove(backend, address);
        reload(fileConfig);
        log.warn("admin: removed server {} from backend {}", address, backend);
    }

    /** An operator changed a server's state (drain, enable): keep it in the state file. */
    @Override
    public void serverStateChanged() {
        saveState();
    }

    private synchronized void saveState() {
        if (stateFile != null) {
            stateFile.write(runtime.upstreams.states(), runtimeServers);
        }
    }

    private static BackendConfig backendConfig(FerryConfig c, String name) {
        BackendConfig b = c.backends().get(name);
        if (b == null) {
            throw new ConfigError("backend " + name, "no such backend");
        }
        return b;
    }

    /** Backends of the running config. */
    @Override
    public Map<String, io.ferry.upstream.Backend> backends() {
        return runtime.upstreams.all();
    }

    /** The shared cache of the running config, or null when the cache is off. */
    @Override
    public io.ferry.cache.HttpCache cache() {
        CacheFront front = runtime.cache;
        return front == null ? null : front.cache;
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

    /** The admin listener's port, or -1 when it is not enabled. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    /** The demo origin's port, or -1 when it is not enabled. */
    public int demoPort() {
        return demo == null ? -1 : demo.port();
    }

    @Override
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
        long deadline = System.nanoTime() + runtime.config.timeouts().shutdown().toNanos();
        for (Channel ch : listeners.values()) {
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
        closeNow();
        log.info("Ferry stopped");
    }

    private void closeNow() {
        if (discovery != null) {
            discovery.close();
        }
        runtime.messenger.close();
        if (runtime.spans != null) {
            runtime.spans.close(); // what is queued is sent first
        }
        for (Channel ch : listeners.values()) {
            ch.close().syncUninterruptibly();
        }
        if (admin != null) {
            admin.close();
        }
        saveState();
        runtime.upstreams.retire(workers, null);
        if (runtime.cache != null) {
            saveCache(runtime);
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (runtime.cache != null) {
            // After the event loops: a background refresh (it has no client connection to drain) may still
            // store an object until they stop; emptied before that, its body would never be released.
            runtime.cache.cache.clear();
        }
        if (demo != null) {
            demo.close();
        }
        if (accessLog != null) {
            accessLog.close();
        }
    }

    @Override
    public void close() {
        shutdown();
    }
}
