package io.ferry.rules;

import io.ferry.config.RulesConfig;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A {@code rules.limits} entry with {@code concurrent}: requests in progress at once per key (nginx's
 * limit_conn, counted per request as for HTTP/2). A key is in the table only while it has requests in
 * progress, so the table is bounded by the requests Ferry holds. Lock-free: a counter that falls to zero
 * is retired (-1) and taken out; a request that meets a retired counter takes a fresh one.
 */
final class ConcurrencyLimiter implements Limiter {
    private static final Function<String, AtomicInteger> NEW = k -> new AtomicInteger();

    private final RulesConfig.Limit config;
    private final Renderer key;
    private final ConcurrentHashMap<String, AtomicInteger> inProgress = new ConcurrentHashMap<>();
    private final AtomicLong limited = new AtomicLong();

    ConcurrencyLimiter(RulesConfig.Limit config, Renderer key) {
        this.config = config;
        this.key = key;
    }

    @Override
    public RulesConfig.Limit config() {
        return config;
    }

    /** A release to run when the request ends, or null when {@code k} has its limit in progress already. */
    Runnable tryAcquire(String k) {
        while (true) {
            AtomicInteger count = inProgress.computeIfAbsent(k, NEW);
            int n = count.get();
            if (n < 0) {
                continue; // retired as it fell to zero: a fresh counter is (or will be) in the table
            }
            if (n >= config.concurrent()) {
                limited.incrementAndGet();
                return null;
            }
            if (count.compareAndSet(n, n + 1)) {
                return () -> release(k, count);
            }
        }
    }

    Runnable tryAcquire(RequestFacts request) {
        return tryAcquire(key.render(request, null, null));
    }

    private void release(String k, AtomicInteger count) {
        if (count.decrementAndGet() == 0 && count.compareAndSet(0, -1)) {
            inProgress.remove(k, count);
        }
    }

    int keys() {
        return inProgress.size();
    }

    long limited() {
        return limited.get();
    }
}
