package io.ferry.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fewest requests in flight relative to weight (in-flight / weight, compared by cross-multiplying);
 * ties broken at random so that equal servers share the load instead of the first one taking it all.
 */
final class LeastConnBalancer<S extends Balanced> implements Balancer<S> {
    private final Object[] servers;

    LeastConnBalancer(List<S> servers) {
        this.servers = servers.toArray();
    }

    @Override
    @SuppressWarnings("unchecked")
    public S pick(CharSequence hashKey, S avoid) {
        S best = null;
        long bestLoad = 0;
        int bestWeight = 1;
        int ties = 0;
        for (Object o : servers) {
            S s = (S) o;
            if (s == avoid || !s.isAvailable()) {
                continue;
            }
            long load = s.inFlight();
            int weight = s.weight();
            if (best == null) {
                best = s;
                bestLoad = load;
                bestWeight = weight;
                ties = 1;
                continue;
            }
            long cmp = load * bestWeight - bestLoad * weight;
            if (cmp < 0) {
                best = s;
                bestLoad = load;
                bestWeight = weight;
                ties = 1;
            } else if (cmp == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                best = s; // reservoir sampling over the tied servers
                bestLoad = load;
                bestWeight = weight;
            }
        }
        if (best == null && avoid != null && avoid.isAvailable()) {
            return avoid;
        }
        return best;
    }
}
