package io.ferry.balance;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: two servers drawn at random (in proportion to weight), the less loaded one
 * (in-flight / weight) wins. Nearly as even as least-conn, without scanning every server.
 */
final class RandomTwoBalancer<S extends Balanced> implements Balancer<S> {
    private final Object[] servers;
    private final int totalWeight;

    RandomTwoBalancer(List<S> servers) {
        this.servers = servers.toArray();
        int total = 0;
        for (S s : servers) {
            total += s.weight();
        }
        this.totalWeight = total;
    }

    @Override
    public S pick(CharSequence hashKey, S avoid) {
        S a = draw(avoid);
        S b = draw(avoid);
        if (a == null || b == null) {
            S found = a != null ? a : b != null ? b : scan(avoid);
            return found != null ? found : (avoid != null && avoid.isAvailable() ? avoid : null);
        }
        long cmp = (long) a.inFlight() * b.weight() - (long) b.inFlight() * a.weight();
        return cmp <= 0 ? a : b;
    }

    /** A weighted random draw; a few attempts, then null (the caller falls back to a scan). */
    @SuppressWarnings("unchecked")
    private S draw(S avoid) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 4; attempt++) {
            int r = random.nextInt(totalWeight);
            for (Object o : servers) {
                S s = (S) o;
                r -= s.weight();
                if (r < 0) {
                    if (s != avoid && s.isAvailable()) {
                        return s;
                    }
                    break;
                }
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private S scan(S avoid) {
        for (Object o : servers) {
            S s = (S) o;
            if (s != avoid && s.isAvailable()) {
                return s;
            }
        }
        return null;
    }
}
