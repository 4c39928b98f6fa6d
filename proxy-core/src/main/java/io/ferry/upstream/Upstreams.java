package io.ferry.upstream;

import io.ferry.config.BackendConfig;
import io.ferry.tls.TlsContexts;
import io.ferry.tls.ClientTls;
import io.ferry.config.FerryConfig;
import io.ferry.config.ServerConfig;
import io.ferry.fastcgi.FastCgiHealthCheck;
import io.ferry.health.HealthChecker;
import io.ferry.health.Http2HealthCheck;
import io.ferry.health.BackendHealth;
import io.ferry.health.ServerHealth;
import io.ferry.transport.Transport;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All backends of one configuration, with their connection pools and health checkers. Each server's
 * {@link ServerState} outlives it: the next configuration takes over the state of every server it keeps.
 */
public final class Upstreams {
    private final Map<String, Backend> backends;
    private final Map<String, ServerState> states;
    private final List<HealthChecker> checkers = new ArrayList<>();

    public Upstreams(FerryConfig config, Transport transport) {
        this(config, transport, Map.of());
    }

    /** @param previous server states by {@link ServerState#key}: those of the configuration being replaced */
    public Upstreams(FerryConfig config, Transport transport, Map<String, ServerState> previous) {
        Map<String, Backend> map = new LinkedHashMap<>();
        Map<String, ServerState> kept = new LinkedHashMap<>();
        for (BackendConfig b : config.backends().values()) {
            List<ServerPool> pools = new ArrayList<>();
            BackendHealth group = new BackendHealth(b.name(), b.passiveHealth().panicThreshold());
            ClientTls tls = TlsContexts.forBackend(b);
            for (ServerConfig s : b.servers()) {
                String key = ServerState.key(b.name(), s.name());
                ServerState state = previous.get(key);
                if (state == null) {
                    state = new ServerState(new ServerHealth(b.name(), s.name(), b.passiveHealth(), group));
                } else {
                    state.health.rejoin(b.passiveHealth(), group);
                }
                kept.put(key, state);
                java.net.SocketAddress remote = s.isUnix() ? transport.domainAddress().apply(s.unixPath()) : s.address();
                pools.add(new ServerPool(s, b.pool(), state, remote, connector(b, s, transport, config, tls, remote)));
            }
            group.recompute();
            Backend backend = new Backend(b, pools, group, tls);
            backend.listen();
            map.put(b.name(), backend);
        }
        this.backends = Map.copyOf(map);
        this.states = java.util.Collections.unmodifiableMap(kept);
    }

    /** The connector of the backend's protocol, for one server's pool. */
    private static java.util.function.Function<ServerPool, Connector> connector(BackendConfig b, ServerConfig s,
            Transport transport, FerryConfig config, ClientTls tls, java.net.SocketAddress remote) {
        if (b.type() == BackendConfig.Type.FASTCGI) {
            return pool -> new FastCgiConnector(pool, transport, config.limits().maxHeaderSize(), b.connectTimeout());
        }
        if (b.protocol().multiplexed()) {
            return pool -> new Http2Upstream(pool, s, remote, SocketConnector.base(s, transport, b.connectTimeout()),
                    tls, pool.openCounter(), b.pool()::maxConnections, b.pool().idleTimeout().toNanos(),
                    b.serverTimeout().toMillis());
        }
        return pool -> new Http1Connector(pool, transport, config.limits(), b.connectTimeout(), tls, b.sendProxy());
    }

    /** Every server's state by backend and address, for the next configuration (and the state file). */
    public Map<String, ServerState> states() {
        return states;
    }

    /**
     * Starts the active health checks, each backend's on one of the event loops, and asks FastCGI
     * servers without max-conns how many connections they take.
     */
    public void start(EventLoopGroup loops, Transport transport) {
        for (Backend b : backends.values()) {
            if (b.fastCgiSite() != null) {
                for (ServerPool s : b.servers()) {
                    s.learnFastCgiLimit(loops.next());
                }
            }
        }
        for (Backend b : backends.values()) {
            if (b.config().healthCheck() == null) {
                continue;
            }
            List<HealthChecker.Target> targets = new ArrayList<>();
            for (ServerPool s : b.servers()) {
                targets.add(new HealthChecker.Target(s.name(), s.remoteAddress(), s.health()));
            }
            HealthChecker.Protocol protocol = b.fastCgiSite() != null ? new FastCgiHealthCheck(b.fastCgiSite())
                    : b.config().protocol().multiplexed() ? new Http2HealthCheck(b.tls())
                    : HealthChecker.http(b.config().sendProxy(), b.tls());
            HealthChecker checker = new HealthChecker(b.config().healthCheck(), targets, loops.next(), protocol,
                    t -> t.address() instanceof java.net.InetSocketAddress ? transport.socketChannel()
                            : transport.domainChannel());
            checker.start();
            checkers.add(checker);
        }
    }

    public Backend backend(String name) {
        Backend b = backends.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no backend " + name);
        }
        return b;
    }

    public Map<String, Backend> all() {
        return backends;
    }

    /** Stops the active health checks (before a successor's start checking the servers it keeps). */
    public void stopChecks() {
        for (HealthChecker c : checkers) {
            c.stop();
        }
    }

    /**
     * Replaced by a reload, or stopped: stop checking, close idle connections; busy ones close after
     * their exchange, and the slots they free wake requests queued in either configuration.
     */
    public void retire(EventLoopGroup loops) {
        stopChecks();
        for (Backend b : backends.values()) {
            b.retire();
        }
        List<io.netty.util.concurrent.EventExecutor> executors = new ArrayList<>();
        loops.forEach(executors::add);
        for (Backend b : backends.values()) {
            for (ServerPool s : b.servers()) {
                s.retire(executors);
            }
        }
    }
}
