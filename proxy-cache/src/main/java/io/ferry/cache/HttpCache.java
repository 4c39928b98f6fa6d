package io.ferry.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.util.IllegalReferenceCountException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The shared HTTP cache: objects keyed by host and URL (and the request headers their Vary names),
 * stored in Caffeine bounded by bytes, each kept for ttl + grace/stale-if-error + keep. It also keeps
 * the waiting lists that coalesce concurrent misses, the hit-for-miss markers of uncacheable keys,
 * and the indexes that purge by URL and by tag. No sockets: the server decides what to do with a
 * {@link Lookup}.
 *
 * <p>Hits take no lock: a Caffeine read and a reference-count increment on the body. Bodies live in
 * unpooled buffers, so a body released by an eviction racing with a hit makes the hit's retain fail
 * (it is then treated as a miss) rather than touch memory reused by someone else.
 */
public final class HttpCache {
    /** What a lookup found. */
    public enum State {
        /** Fresh: serve it. */
        FRESH,
        /** Stale but within grace: serve it, and refresh it in the background. */
        GRACE,
        /** Stale past grace but kept: revalidate with its validators (or serve it if the backend fails). */
        STALE,
        /** The key recently answered uncacheably: go to the backend, no waiting list. */
        HIT_FOR_MISS,
        /** Nothing stored. */
        MISS
    }

    /** A lookup's result. {@code object} is set for FRESH, GRACE and STALE. */
    public record Lookup(State state, CachedResponse object, String key) {
    }

    private static final Set<String> BODY_HEADERS = Set.of("content-length", "content-encoding", "content-range",
            "transfer-encoding");

    private final CacheSettings settings;
    private final LongSupplier clock;
    private final Cache<String, CachedResponse> store;
    private final Cache<String, Boolean> hitForMiss;
    private final ConcurrentHashMap<String, String[]> varyByPrimary = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<String>> keysByPrimary = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<String>> keysByTag = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, PendingFetch> inFlight = new ConcurrentHashMap<>();
    private final CacheStats stats = new CacheStats();
    private final BanList bans = new BanList();
    /** Runs the lurker: never an event loop (a ban must not stall one). */
    private final Executor lurkerExecutor;
    private final AtomicBoolean lurking = new AtomicBoolean();

    public HttpCache(CacheSettings settings) {
        this(settings, System::currentTimeMillis);
    }

    /** With a clock in epoch milliseconds; tests move it to age objects. */
    public HttpCache(CacheSettings settings, LongSupplier clock) {
        this(settings, clock, ForkJoinPool.commonPool());
    }

    /** With the executor the ban lurker runs on (tests pass their own to see it finish). */
    public HttpCache(CacheSettings settings, LongSupplier clock, Executor lurker) {
        this.settings = settings;
        this.clock = clock;
        this.lurkerExecutor = lurker;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.getAsLong());
        this.store = Caffeine.newBuilder()
                .maximumWeight(settings.maxBytes())
                .weigher((String k, CachedResponse v) -> (int) Math.min(Integer.MAX_VALUE, v.weight()))
                .expireAfter(new Expiry<String, CachedResponse>() {
                    @Override
                    public long expireAfterCreate(String key, CachedResponse value, long currentTime) {
                        return TimeUnit.MILLISECONDS.toNanos(value.retainMillis());
                    }

                    @Override
                    public long expireAfterUpdate(String key, CachedResponse value, long currentTime, long currentDuration) {
                        return TimeUnit.MILLISECONDS.toNanos(value.retainMillis());
                    }

                    @Override
                    public long expireAfterRead(String key, CachedResponse value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .ticker(ticker)
                .executor(Runnable::run) // release bodies on the thread that caused the removal, promptly
                .removalListener(this::onRemoval)
                .build();
        this.hitForMiss = Caffeine.newBuilder()
                .expireAfterWrite(settings.hitForMiss().toMillis(), TimeUnit.MILLISECONDS)
                .ticker(ticker)
                .maximumSize(100_000)
                .executor(Runnable::run)
                .build();
    }

    public CacheSettings settings() {
        return settings;
    }

    public CacheStats stats() {
        return stats;
    }

    public long now() {
        return clock.getAsLong();
    }

    /** Objects stored now (all variants). */
    public long objects() {
        return store.estimatedSize();
    }

    /** Bytes the stored objects weigh. */
    public long bytes() {
        return store.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    /** The primary key of a request: host (case-folded) and request target. */
    public static String primaryKey(String host, String uri) {
        return (host == null ? "" : host.toLowerCase(Locale.ROOT)) + '\u0000' + uri;
    }

    public Lookup lookup(String primary, Function<String, String> requestHeader) {
        if (hitForMiss.getIfPresent(primary) != null) {
            stats.hitForMiss.increment();
            return new Lookup(State.HIT_FOR_MISS, null, primary);
        }
        String key = Variants.variantKey(primary, varyByPrimary.get(primary), requestHeader, settings.varyNormalize());
        CachedResponse c = store.getIfPresent(key);
        if (c != null && c.banChecked().get() < bans.latest()) {
            c = applyBans(c);
        }
        if (c == null || c.released().get()) {
            stats.misses.increment();
            return new Lookup(State.MISS, null, key);
        }
        long now = clock.getAsLong();
        if (c.freshAt(now)) {
            return new Lookup(State.FRESH, c, key);
        }
        if (c.inGraceAt(now)) {
            return new Lookup(State.GRACE, c, key);
        }
        stats.misses.increment();
        return new Lookup(State.STALE, c, key);
    }

    /** A reference to an object's body for one write, or null if it was released meanwhile. */
    public static ByteBuf tryRetainBody(CachedResponse c) {
        try {
            return c.retainedBody();
        } catch (IllegalReferenceCountException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- coalescing

    /**
     * Becomes the fetcher of {@code key} (returns true) or joins the waiting list of the fetch in
     * flight (returns false; {@code waiter} is called once with the stored object, or with null when
     * the fetch did not store anything and the waiter should go to the backend itself).
     */
    public boolean fetchOrWait(String key, Consumer<CachedResponse> waiter) {
        PendingFetch mine = new PendingFetch();
        PendingFetch existing = inFlight.putIfAbsent(key, mine);
        if (existing == null) {
            return true;
        }
        if (existing.add(waiter)) {
            stats.coalesced.increment();
            return false;
        }
        // That fetch has just completed: look again instead of waiting.
        waiter.accept(null);
        return false;
    }

    /** True when a fetch of {@code key} is in flight (a grace refresh need not start another). */
    public boolean fetching(String key) {
        return inFlight.containsKey(key);
    }

    /** Starts a background refresh of {@code key} unless one is running; true if the caller should run it. */
    public boolean startRefresh(String key) {
        return inFlight.putIfAbsent(key, new PendingFetch()) == null;
    }

    /** Ends the fetch of {@code key}: waiters get {@code stored} (null: fetch for yourselves). */
    public void fetchDone(String key, CachedResponse stored) {
        PendingFetch p = inFlight.remove(key);
        if (p != null) {
            for (Consumer<CachedResponse> w : p.complete()) {
                w.accept(stored);
            }
        }
    }

    // ---------------------------------------------------------------- storing

    /**
     * Stores a response; the cache takes over the body's reference. The variant is chosen by the
     * response's Vary names applied to the request's headers.
     */
    public CachedResponse store(String primary, String vary, Function<String, String> requestHeader, int status,
                                String reason, List<Map.Entry<String, String>> headers, ByteBuf body, long responseTime,
                                long initialAge, StorePolicy.Decision decision, List<String> tags) {
        String[] varyNames = Variants.varyNames(vary);
        String key = Variants.variantKey(primary, varyNames, requestHeader, settings.varyNormalize());
        String etag = find(headers, "etag");
        String lastModified = find(headers, "last-modified");
        CachedResponse c = new CachedResponse(key, status, reason, List.copyOf(headers), body, responseTime, initialAge,
                decision.ttl(), decision.grace(), decision.staleIfError(), decision.keep(), etag, lastModified,
                List.copyOf(tags), new AtomicBoolean(), new AtomicLong(bans.latest()));
        put(primary, varyNames, c);
        stats.stored.increment();
        return c;
    }

    /**
     * Every stored object with its URL's Vary names, for a snapshot (objects may leave meanwhile), each
     * tested against the bans it has not met yet: the ban list itself is not written, so what a ban removes
     * must not outlive it in the file.
     */
    List<Map.Entry<CachedResponse, String[]>> storedWithVary() {
        List<Map.Entry<CachedResponse, String[]>> all = new ArrayList<>();
        for (CachedResponse stored : store.asMap().values()) {
            CachedResponse c = stored.banChecked().get() < bans.latest() ? applyBans(stored) : stored;
            if (c == null || c.released().get()) {
                continue;
            }
            int sep = c.key().indexOf('\u0001');
            String primary = sep < 0 ? c.key() : c.key().substring(0, sep);
            all.add(Map.entry(c, varyByPrimary.getOrDefault(primary, new String[0])));
        }
        return all;
    }

    /** An object read back from a snapshot (the cache takes its body), indexed as {@link #store} does. */
    void restore(CachedResponse c, String[] varyNames) {
        int sep = c.key().indexOf('\u0001');
        put(sep < 0 ? c.key() : c.key().substring(0, sep), varyNames, new CachedResponse(c.key(), c.status(), c.reason(),
                c.headers(), c.body(), c.storedAt(), c.initialAge(), c.ttl(), c.grace(), c.staleIfError(), c.keep(),
                c.etag(), c.lastModified(), c.tags(), new AtomicBoolean(), new AtomicLong(bans.latest())));
    }

    private void put(String primary, String[] varyNames, CachedResponse c) {
        String key = c.key();
        hitForMiss.invalidate(primary);
        store.put(key, c);
        // Indexed after the put: a removal racing with it either ran before (and the key is indexed
        // again here) or sees the new object present and keeps the key.
        keysByPrimary.compute(primary, (k, keys) -> {
            Set<String> set = keys != null ? keys : ConcurrentHashMap.newKeySet();
            set.add(key);
            if (varyNames.length == 0) {
                varyByPrimary.remove(primary);
            } else {
                varyByPrimary.put(primary, varyNames);
            }
            return set;
        });
        for (String tag : c.tags()) {
            keysByTag.compute(tag, (k, keys) -> {
                Set<String> set = keys != null ? keys : ConcurrentHashMap.newKeySet();
                set.add(key);
                return set;
            });
        }
        if (!store.asMap().containsKey(key)) {
            unindex(key, c.tags()); // evicted at once (larger than what is left): nothing to index
        }
    }

    /**
     * A 304 answered a revalidation: the stored object is fresh again, with the 304's headers merged
     * in (RFC 9111 §3.2) — except those describing the stored body, which the 304 did not send.
     */
    public CachedResponse refresh(CachedResponse old, List<Map.Entry<String, String>> notModifiedHeaders, long ttl) {
        return refresh(old, notModifiedHeaders, 0, ttl);
    }

    /** The same, with the age the validating response arrived with (RFC 9111 §4.2.3). */
    public CachedResponse refresh(CachedResponse old, List<Map.Entry<String, String>> notModifiedHeaders,
                                  long initialAge, long ttl) {
        List<Map.Entry<String, String>> update = new ArrayList<>();
        for (Map.Entry<String, String> h : notModifiedHeaders) {
            if (!BODY_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                update.add(h);
            }
        }
        List<Map.Entry<String, String>> merged = new ArrayList<>(old.headers().size());
        for (Map.Entry<String, String> h : old.headers()) {
            if (find(update, h.getKey()) == null) {
                merged.add(h);
            }
        }
        merged.addAll(update);
        CachedResponse fresh = old.revalidated(clock.getAsLong(), initialAge, ttl, List.copyOf(merged));
        store.put(old.key(), fresh);
        stats.revalidations.increment();
        return fresh;
    }

    /** Marks a key as uncacheable for {@code hit-for-miss}: later requests go straight to the backend. */
    public void markHitForMiss(String primary) {
        hitForMiss.put(primary, Boolean.TRUE);
    }

    // ---------------------------------------------------------------- invalidation

    /** Removes every variant of a URL; returns how many objects went. */
    public int purge(String primary) {
        return purge(primary, false);
    }

    /** Every variant of a URL goes — or, {@code soft}, becomes stale (served in grace while refreshed). */
    public int purge(String primary, boolean soft) {
        hitForMiss.invalidate(primary);
        if (soft) {
            Set<String> keys = keysByPrimary.get(primary);
            return expireAll(keys == null ? null : Set.copyOf(keys));
        }
        Set<String> keys = keysByPrimary.remove(primary);
        varyByPrimary.remove(primary);
        int n = removeAll(keys);
        stats.purged.add(n);
        return n;
    }

    /**
     * Bans the objects stored until now whose host and request target match the patterns (null matches
     * all): see {@link #ban(BanRule)}.
     */
    public void ban(Pattern host, Pattern path) {
        ban(BanRule.url(host, path));
    }

    /**
     * Bans the objects stored until now that {@code rule} selects: recorded at once, applied as each is
     * next looked up and by the lurker in the background (Varnish's ban list), so a ban never walks the
     * cache on the caller's thread.
     */
    public void ban(BanRule rule) {
        bans.add(rule);
        stats.bans.increment();
        if (lurking.compareAndSet(false, true)) {
            lurkerExecutor.execute(this::lurk);
        }
    }

    /** Bans not yet tested against every object stored before them. */
    public int pendingBans() {
        return bans.size();
    }

    /**
     * Tests an object against the bans it has not met: null when one removed it, a stale copy when a soft
     * one selected it, else the object itself (marked as having met them all).
     */
    private CachedResponse applyBans(CachedResponse c) {
        long upTo = bans.latest();
        long checked = c.banChecked().get();
        if (checked >= upTo) {
            return c;
        }
        BanRule rule = bans.banned(c, checked);
        if (rule == null) {
            c.banChecked().accumulateAndGet(upTo, Math::max);
            return c;
        }
        if (rule.soft()) {
            CachedResponse stale = c.expiredAt(clock.getAsLong(), upTo);
            if (store.asMap().replace(c.key(), c, stale)) {
                stats.purged.increment();
                return stale;
            }
            stale.release();
            return store.getIfPresent(c.key());
        }
        if (store.asMap().remove(c.key(), c)) {
            stats.purged.increment();
        }
        return null;
    }

    /** The lurker: walks every object against the outstanding bans, then drops the bans all have met. */
    private void lurk() {
        do {
            long upTo = bans.latest();
            for (CachedResponse c : store.asMap().values()) {
                applyBans(c);
            }
            bans.dropUpTo(upTo);
            lurking.set(false);
        } while (bans.size() > 0 && lurking.compareAndSet(false, true));
    }

    /** Removes objects tagged (Surrogate-Key, Cache-Tags, xkey …) with any of {@code tags}. */
    public int purgeTags(Collection<String> tags) {
        return purgeTags(tags, false);
    }

    /** The same, or {@code soft}: they become stale, served in grace while refreshed. */
    public int purgeTags(Collection<String> tags, boolean soft) {
        int n = 0;
        for (String tag : tags) {
            if (soft) {
                Set<String> keys = keysByTag.get(tag);
                n += expireAll(keys == null ? null : Set.copyOf(keys));
            } else {
                n += removeAll(keysByTag.remove(tag));
            }
        }
        if (!soft) {
            stats.purged.add(n);
        }
        return n;
    }

    /** Removes the objects under these keys (null: none); returns how many were still there. */
    private int removeAll(Set<String> keys) {
        int n = 0;
        if (keys != null) {
            for (String k : keys) {
                if (store.asMap().remove(k) != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Makes the objects under these keys stale now (a soft purge); returns how many were stored. */
    private int expireAll(Set<String> keys) {
        int n = 0;
        if (keys != null) {
            long now = clock.getAsLong();
            for (String k : keys) {
                CachedResponse c = store.getIfPresent(k);
                if (c == null) {
                    continue;
                }
                CachedResponse stale = c.expiredAt(now, c.banChecked().get());
                if (store.asMap().replace(k, c, stale)) {
                    n++;
                } else {
                    stale.release();
                }
            }
        }
        stats.purged.add(n);
        return n;
    }

    /** Runs pending maintenance now (expiry, evictions, their index updates); Caffeine otherwise does it as it goes. */
    public void cleanUp() {
        store.cleanUp();
    }

    /** Releases every body: the cache is being discarded. */
    public void clear() {
        store.invalidateAll();
        store.cleanUp();
    }

    private void onRemoval(String key, CachedResponse value, RemovalCause cause) {
        if (value == null) {
            return;
        }
        value.release();
        if (cause.wasEvicted()) {
            stats.evictions.increment();
        }
        if (cause != RemovalCause.REPLACED && key != null) {
            unindex(key, value.tags());
        }
    }

    /**
     * Drops a key that is no longer stored from the indexes, and an index entry (a URL's variant set
     * and Vary names, a tag) once it is empty: the indexes stay bounded by what the cache holds.
     */
    private void unindex(String key, List<String> tags) {
        int sep = key.indexOf('\u0001');
        String primary = sep < 0 ? key : key.substring(0, sep);
        keysByPrimary.computeIfPresent(primary, (k, keys) -> {
            if (!store.asMap().containsKey(key)) {
                keys.remove(key);
            }
            if (keys.isEmpty()) {
                varyByPrimary.remove(primary);
                return null;
            }
            return keys;
        });
        for (String tag : tags) {
            keysByTag.computeIfPresent(tag, (k, keys) -> {
                if (!store.asMap().containsKey(key)) {
                    keys.remove(key);
                }
                return keys.isEmpty() ? null : keys;
            });
        }
    }

    /** Sizes of the indexes beside the store (URLs, URLs with Vary, tags), which must shrink with it. */
    public int[] indexSizes() {
        return new int[] {keysByPrimary.size(), varyByPrimary.size(), keysByTag.size()};
    }

    static String find(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }
}
