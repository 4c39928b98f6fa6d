package io.ferry.cache;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the cache, striped so that event loops never contend on them. */
public final class CacheStats {
    final LongAdder hits = new LongAdder();
    final LongAdder graceHits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder passes = new LongAdder();
    final LongAdder hitForMiss = new LongAdder();
    final LongAdder coalesced = new LongAdder();
    final LongAdder stored = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder revalidations = new LongAdder();
    final LongAdder staleOnError = new LongAdder();
    final LongAdder purged = new LongAdder();
    final LongAdder bans = new LongAdder();

    /** Bans recorded (each applied lazily: see {@link HttpCache#ban}). */
    public long bans() {
        return bans.sum();
    }

    public long hits() {
        return hits.sum();
    }

    public long graceHits() {
        return graceHits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public long passes() {
        return passes.sum();
    }

    public long hitForMiss() {
        return hitForMiss.sum();
    }

    public long coalescedWaits() {
        return coalesced.sum();
    }

    public long stored() {
        return stored.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long revalidations() {
        return revalidations.sum();
    }

    public long staleOnError() {
        return staleOnError.sum();
    }

    public long purged() {
        return purged.sum();
    }

    public void countPass() {
        passes.increment();
    }

    public void countHit() {
        hits.increment();
    }

    public void countGraceHit() {
        graceHits.increment();
    }

    public void countStaleOnError() {
        staleOnError.increment();
    }

    public void countRevalidation() {
        revalidations.increment();
    }
}
