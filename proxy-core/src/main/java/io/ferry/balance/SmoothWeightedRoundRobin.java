package io.ferry.balance;

import java.util.List;
import java.util.function.Predicate;

/**
 * nginx's smooth weighted round-robin: weights 5,1,1 give a a b a c a a rather than a a a a a b c,
 * so no server receives a burst. Each pick adds every usable server's weight to its running score,
 * takes the highest and subtracts the total from it.
 *
 * <p>Not thread-safe by design: every event loop keeps its own instance (as every nginx worker
 * does), so picking needs no lock and no atomic.
 */
public final class SmoothWeightedRoundRobin<S> {
    private final Object[] servers;
    private final int[] weights;
    private final int[] current;

    public SmoothWeightedRoundRobin(List<S> servers, List<Integer> weights) {
        if (servers.isEmpty() || servers.size() != weights.size()) {
            throw new IllegalArgumentException("need one weight per server and at least one server");
        }
        this.servers = servers.toArray();
        this.weights = new int[weights.size()];
        for (int i = 0; i < this.weights.length; i++) {
            int w = weights.get(i);
            if (w < 1) {
                throw new IllegalArgumentException("weights must be positive");
            }
            this.weights[i] = w;
        }
        this.current = new int[this.weights.length];
    }

    /** The next server among those {@code usable} accepts, or null when none does. */
    @SuppressWarnings("unchecked")
    public S pick(Predicate<? super S> usable) {
        int best = -1;
        int total = 0;
        for (int i = 0; i < servers.length; i++) {
            if (!usable.test((S) servers[i])) {
                continue;
            }
            current[i] += weights[i];
            total += weights[i];
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        current[best] -= total;
        return (S) servers[best];
    }
}
