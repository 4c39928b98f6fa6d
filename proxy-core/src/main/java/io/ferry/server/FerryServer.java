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
import io.ferry.demo.DemoOrigin;
import io.ferry.exchange.CacheFront;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.frontend.Drain;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.tls.ServerTls;
import io.ferry.tls.TlsContexts;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
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
public final class FerryServer implements ProxyControl, io.ferry.handover.HandoverSource, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FerryServer.class);

    private final Transport transport;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ClientConnections connections;
    private final Listeners listeners;
    /** Sockets a predecessor handed over (an upgrade); empty otherwise. */
    private final io.ferry.handover.HandedOverSockets handedOver;
    /** What this start's warm-up did (global.warm-up). */
    private WarmUp.Result warmedUp;
    /** global.handover-socket, once open. */
    private io.ferry.handover.HandoverServer handover;
    /** Set when a successor took the sockets over: its copies of the state and cache are the ones kept. */
    private volatile boolean succeeded;
    /** Run after a stop asked for by a successor (the command line exits the JVM). */
    private volatile Runnable afterHandOver = () -> { };
    private volatile ProxyRuntime runtime;
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final AccessLog accessLog;
    private final LogFormat logFormat;
    private DemoOrigin demo;
    private JitPriority.Plan jitPriority;
    private java.util.concurrent.CompletableFuture<ThreadNice.Result> gcPriority;
    private AdminServer admin;
    private volatile boolean stopped;
    private final TicketKeys tickets = new TicketKeys(this::runtime);

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
                        java.util.function.LongSupplier cacheClock, io.ferry.handover.HandedOverSockets handedOver,
                        Path cacheFrom) {
        this.transport = transport;
        this.handedOver = handedOver;
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
        CacheFiles.load(runtime, cacheFrom);
        tickets.start(config.listeners(), tls, workers);
        this.logFormat = new LogFormat(config.accessLog().format());
        this.accessLog = config.accessLog().enabled() ? openAccessLog(config) : null;
        this.listeners = new Listeners(transport, acceptors, workers, connections, this::runtime, metrics, accessLog,
                logFormat, tickets::opened, handedOver);
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
        FerryServer server = new FerryServer(config, transport, tlsContexts(config), cacheClock,
                io.ferry.handover.HandedOverSockets.none(), null);
        try {
            server.bindAll(config);
            server.openHandover();
            return server;
        } catch (RuntimeException e) {
            server.closeNow();
            throw e;
        }
    }

    /**
     * Starts in place of the Ferry answering on {@code global.handover-socket} (an upgrade, HAProxy's {@code -x}):
     * takes its listening sockets (nothing is refused: they never close) and a copy of its cache, warms up, accepts,
     * then tells it to stop accepting and drain. If this start fails the running Ferry is left as it was.
     */
    public static FerryServer takeOver(FerryConfig config) {
        String socket = config.global().handoverSocket();
        if (socket.isEmpty()) {
            throw new ConfigError("ferry.global.handover-socket", "is empty: an upgrade needs the running Ferry's"
                    + " hand-over socket (set the same path in both configurations)");
        }
        Path path = Path.of(socket);
        Transport transport = selectTransport(config);
        Map<String, ServerTls> tls = tlsContexts(config);
        try (io.ferry.handover.HandoverClient predecessor = io.ferry.handover.HandoverClient.connect(path, 120_000)) {
            io.ferry.handover.HandedOverSockets sockets =
                    new io.ferry.handover.HandedOverSockets(predecessor.listeningSockets());
            log.warn("upgrade: taking over from process {} through {}", predecessor.predecessorPid(), path);
            FerryServer server;
            try {
                server = new FerryServer(config, transport, tls, System::currentTimeMillis, sockets,
                        CacheFiles.fromPredecessor(config, predecessor));
            } catch (RuntimeException e) {
                sockets.closeUntaken();
                throw e;
            }
            try {
                server.bindAll(config);
                sockets.closeUntaken();
                predecessor.stopPredecessor();
                server.openHandover();
                log.warn("upgrade: this process accepts; process {} stops accepting and drains",
                        predecessor.predecessorPid());
                return server;
            } catch (RuntimeException e) {
                server.closeNow();
                sockets.closeUntaken();
                throw e;
            } catch (java.io.IOException e) {
                server.closeNow();
                throw e;
            }
        } catch (java.io.IOException e) {
            throw io.ferry.handover.HandoverClient.failed(path, e);
        }
    }

    /** global.handover-socket: where a successor can take this process over. */
    private void openHandover() {
        String socket = runtime.config.global().handoverSocket();
        if (!socket.isEmpty()) {
            handover = io.ferry.handover.HandoverServer.open(Path.of(socket), this);
        }
    }

    /** What to do once a successor took over and this process has stopped: the command line exits. */
    public void afterHandOver(Runnable action) {
        this.afterHandOver = action;
    }

    /** Synchronized with reload, which changes the listeners (the hand-over loop asks). */
    @Override
    public synchronized Map<String, Channel> listeningChannels() {
        Map<String, Channel> all = new LinkedHashMap<>(listeners.channels());
        if (admin != null) {
            all.put("admin", admin.channel());
        }
        if (demo != null) {
            all.put("demo", demo.channel());
        }
        return all;
    }

    @Override
    public String writeCache(Path file) throws java.io.IOException {
        return CacheFiles.forSuccessor(runtime, file);
    }

    @Override
    public void handedOver() {
        succeeded = true;
        shutdown();
        afterHandOver.run();
    }

    /** What this start's warm-up did before the listeners opened: nothing on a cold start with warm-up = auto. */
    WarmUp.Result warmedUp() {
        return warmedUp;
    }

    private void bindAll(FerryConfig config) {
        if (config.demo().enabled()) {
            demo = startDemo(config);
        }
        runtime.upstreams.start(workers, transport);
        warmedUp = WarmUp.run(transport, workers, config.global().warmUp().forStart(handedOver.fromPredecessor()));
        int largestBacklog = 0;
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            largestBacklog = Math.max(largestBacklog, l.backlog());
            listeners.open(l, i, true);
        }
        if (config.admin().enabled()) {
            admin = AdminServer.start(this, config.admin(), transport, handedOver);
        }
        log.info("Ferry started: transport {}, {} io threads, {} backends, {} routes", transport.name(),
                ioThreads(config), config.backends().size(), config.routes().size());
        SystemLimits.check(config.global().maxConnections(), largestBacklog);
        jitPriority = JitPriority.apply(config.global().jitPriority(), config.global().jitPriorityFor(),
                config.global().jitSteadyPriority());
        gcPriority = GcPriority.apply(config.global().gcPriority());
    }

    /** What global.gc-priority did at the start. */
    java.util.concurrent.CompletableFuture<ThreadNice.Result> gcPriority() {
        return gcPriority;
    }

    /** What global.jit-priority did at the start, and jit-steady-priority after jit-priority-for. */
    JitPriority.Plan jitPriority() {
        return jitPriority;
    }

    private DemoOrigin startDemo(FerryConfig config) {
        try {
            DemoOrigin d = DemoOrigin.start(transport, config.demo().bind(), config.demo().port(), handedOver);
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
        ProxyRuntime old = runtime;
        Map<String, Channel> moved = listeners.takeMoved(current, next);
        List<Channel> added;
        try {
            added = listeners.openAdded(current, next);
        } catch (RuntimeException e) {
            listeners.putBack(moved);
            throw e;
        }
        tickets.reload(next.listeners(), tls);
        Upstreams upstreams = new Upstreams(next, transport, old.upstreams.states());
        ProxyRuntime replacement = new ProxyRuntime(next, upstreams, tls, old, cacheClock);
        old.upstreams.stopChecks(); // the kept servers' checks go on in the new configuration
        upstreams.start(workers, transport);
        runtime = replacement;
        listeners.applyChanges(current, next, added, moved);
        old.upstreams.retire(workers);
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
        return listeners.addresses();
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
        listeners.closeAll();
        log.info("shutting down: listeners closed, draining {} client connections", connections.count());
        // After a hand-over the successor serves the same sockets: no reason to close idle connections under a
        // request the client may be sending (it would be lost); they finish with their next response.
        Drain drain = succeeded ? Drain.AFTER_NEXT_RESPONSE : Drain.INSTANCE;
        for (Channel ch : connections.channels()) {
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(drain));
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
        if (jitPriority != null) {
            jitPriority.cancel();
        }
        if (discovery != null) {
            discovery.close();
        }
        runtime.messenger.close();
        if (runtime.spans != null) {
            runtime.spans.close(); // what is queued is sent first
        }
        if (handover != null) { // after a hand-over its socket is closed already; its loop still stops here
            handover.close();
        }
        if (listeners != null) {
            listeners.closeAll();
        }
        if (admin != null) {
            admin.close();
        }
        if (!succeeded) { // else the successor read them already; what this process knows now is older
            saveState();
        }
        runtime.upstreams.retire(workers);
        if (runtime.cache != null && !succeeded) {
            CacheFiles.save(runtime);
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
