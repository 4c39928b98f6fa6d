package io.ferry.rules;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ferry.config.RulesConfig;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One {@code rules.limits} entry: a request rate per key by the generic cell rate algorithm (a token
 * bucket kept as one number per key: when the key's next request is due). A request is let through if
 * it is due no later than {@code burst} intervals from now; then the key's due time moves one interval on.
 * One compare-and-set per request, no lock. The table holds at most {@code table-size} keys and forgets a
 * key once its bucket would be full again, so memory is bounded whatever the number of clients (a key
 * pushed out early starts afresh, as in HAProxy's stick tables).
 */
public final class RateLimiter implements Limiter {
    private static final Function<String, AtomicLong> NEW = k -> new AtomicLong(Long.MIN_VALUE);

    private final RulesConfig.Limit config;
    private final long intervalNanos;
    private final long toleranceNanos;
    private final Cache<String, AtomicLong> table;
    private final Renderer key;
    private final AtomicLong limited = new AtomicLong();

    RateLimiter(RulesConfig.Limit config, Renderer key) {
        this.config = config;
        this.key = key;
        this.intervalNanos = Math.max(1, config.per().toNanos() / config.rate());
        this.toleranceNanos = intervalNanos * config.burst();
        this.table = Caffeine.newBuilder()
                .maximumSize(config.tableSize())
                .expireAfterAccess(toleranceNanos + intervalNanos, TimeUnit.NANOSECONDS)
                .executor(Runnable::run) // upkeep on the callers' threads, a little at a time: no pool
                .build();
    }

    @Override
    public RulesConfig.Limit config() {
        return config;
    }

    /** 0 when a request for {@code k} at {@code now} may go; else the nanoseconds until one may. */
    public long acquire(String k, long now) {
        AtomicLong due = table.get(k, NEW);
        while (true) {
            long next = due.get();
            long tat = next == Long.MIN_VALUE || next - now < 0 ? now : next;
            long early = tat - now - toleranceNanos;
            if (early > 0) {
                limited.incrementAndGet();
                return early;
            }
            if (due.compareAndSet(next, tat + intervalNanos)) {
                return 0;
            }
        }
    }

    long acquire(RequestFacts request, long now) {
        return acquire(key.render(request, null, null), now);
    }

    /** Keys in the table now (after its pending upkeep). */
    public long keys() {
        table.cleanUp();
        return table.estimatedSize();
    }

    /** Requests refused so far. */
    public long limited() {
        return limited.get();
    }
}
