package io.ferry.balance;

import java.util.List;

/**
 * Chooses a server for a request. Implementations must be safe to call from every event loop at once
 * without locks (per-loop state or read-only state plus atomics).
 */
public interface Balancer<S extends Balanced> {
    /**
     * @param hashKey what hash-based policies hash (path or client address); ignored by others
     * @param avoid   a server that just failed this request; chosen only if nothing else is available
     * @return an available server, or null if none is
     */
    S pick(CharSequence hashKey, S avoid);

    /** Creates the balancer a backend's {@code balance} setting names. */
    static <S extends Balanced> Balancer<S> create(BalanceAlgorithm algorithm, List<S> servers, int hashVirtualNodes) {
        return switch (algorithm) {
            case ROUND_ROBIN -> new RoundRobinBalancer<>(servers);
            case LEAST_CONN -> new LeastConnBalancer<>(servers);
            case RANDOM_TWO -> new RandomTwoBalancer<>(servers);
            case URI_HASH, SOURCE_HASH -> new ConsistentHashBalancer<>(servers, hashVirtualNodes);
        };
    }
}
