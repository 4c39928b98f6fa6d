package io.ferry.balance;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;

/** Smooth weighted round-robin, one rotation per event loop (as one per nginx worker). */
final class RoundRobinBalancer<S extends Balanced> implements Balancer<S> {
    private final FastThreadLocal<SmoothWeightedRoundRobin<S>> rotation;

    RoundRobinBalancer(List<S> servers) {
        List<Integer> weights = new ArrayList<>();
        for (S s : servers) {
            weights.add(s.weight());
        }
        List<S> copy = List.copyOf(servers);
        this.rotation = new FastThreadLocal<>() {
            @Override
            protected SmoothWeightedRoundRobin<S> initialValue() {
                return new SmoothWeightedRoundRobin<>(copy, weights);
            }
        };
    }

    @Override
    public S pick(CharSequence hashKey, S avoid) {
        SmoothWeightedRoundRobin<S> rr = rotation.get();
        // The common case (no failed server to avoid) uses a non-capturing predicate: no allocation.
        S s = avoid == null ? rr.pick(Balanced::isAvailable) : rr.pick(c -> c != avoid && c.isAvailable());
        if (s == null && avoid != null && avoid.isAvailable()) {
            return avoid;
        }
        return s;
    }
}
