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

/** All backends of one configuration, with their connection pools and health checkers. */
public final class Upstreams {
    private final Map<String, Backend> backends;
    private final List<HealthChecker> checkers = new ArrayList<>();

    public Upstreams(FerryConfig config, Transport transport) {
        Map<String, Backend> map = new LinkedHashMap<>();
        for (BackendConfig b : config.backends().values()) {
            List<ServerPool> pools = new ArrayList<>();
            BackendHealth group = new BackendHealth(b.name(), b.passiveHealth().panicThreshold());
            ClientTls tls = TlsContexts.forBackend(b);
            for (ServerConfig s : b.servers()) {
                ServerHealth health = new ServerHealth(b.name(), s.name(), b.passiveHealth(), group);
                pools.add(new ServerPool(s, b.pool(), transport, config.limits(), b.connectTimeout(), health,
                        b.type() == BackendConfig.Type.FASTCGI, b.protocol().multiplexed(), tls, b.serverTimeout(),
                        b.sendProxy()));
            }
            map.put(b.name(), new Backend(b, pools, group, tls));
        }
        this.backends = Map.copyOf(map);
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
                s.health().onServerUp(b::wakeOne);
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

    /** Replaced by a reload: stop checking, close idle connections; busy ones close after their exchange. */
    public void retire(EventLoopGroup loops) {
        for (HealthChecker c : checkers) {
            c.stop();
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
