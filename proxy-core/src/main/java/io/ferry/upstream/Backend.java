package io.ferry.upstream;

import io.ferry.balance.SmoothWeightedRoundRobin;
import io.ferry.config.BackendConfig;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/** A named group of upstream servers and the policy that picks one for each request. */
public final class Backend {
    private final BackendConfig config;
    private final List<ServerPool> servers;
    private final FastThreadLocal<SmoothWeightedRoundRobin<ServerPool>> balancer;

    Backend(BackendConfig config, List<ServerPool> servers) {
        this.config = config;
        this.servers = List.copyOf(servers);
        List<Integer> weights = new ArrayList<>();
        for (ServerPool s : servers) {
            weights.add(s.weight());
        }
        this.balancer = new FastThreadLocal<>() {
            @Override
            protected SmoothWeightedRoundRobin<ServerPool> initialValue() {
                return new SmoothWeightedRoundRobin<>(Backend.this.servers, weights);
            }
        };
    }

    public String name() {
        return config.name();
    }

    public BackendConfig config() {
        return config;
    }

    public List<ServerPool> servers() {
        return servers;
    }

    /** The server for the next request, skipping servers at their connection limit; null if none can take it. */
    public ServerPool pick() {
        return balancer.get().pick(ServerPool::hasCapacity);
    }

    @Override
    public String toString() {
        return config.name();
    }
}
