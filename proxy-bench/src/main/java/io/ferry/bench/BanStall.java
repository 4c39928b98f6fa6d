package io.ferry.bench;

import io.ferry.cache.CacheSettings;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * What a BAN costs the event loop that receives it, with a cache of many objects: how long the ban call
 * takes on the loop, and the longest delay a 1 ms probe task on that loop saw while the ban was applied.
 * Calls {@code HttpCache.ban} by reflection, so the same program measures an older build (whose ban
 * walked every key on the caller's thread) with that build's proxy-cache on the class path.
 * Usage: java -cp ... io.ferry.bench.BanStall [objects=1000000]
 */
public final class BanStall {
    private BanStall() {
    }

    public static void main(String[] args) throws Exception {
        int objects = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        HttpCache cache = new HttpCache(new CacheSettings(4L << 30, 1 << 20, Duration.ofSeconds(120), Duration.ZERO,
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1)));
        StorePolicy.Decision d = new StorePolicy.Decision(true, "bench", 3_600_000, 0, 0, 0);
        for (int i = 0; i < objects; i++) {
            cache.store(HttpCache.primaryKey("www.example.org", (i % 2 == 0 ? "/a/" : "/b/") + i), null, n -> null, 200,
                    "OK", List.of(Map.entry("Content-Type", "text/html")),
                    UnpooledByteBufAllocator.DEFAULT.heapBuffer(16).writeZero(16), cache.now(), 0, d, List.of());
        }
        EventLoop loop = new DefaultEventLoop();
        AtomicLong longestProbeDelay = new AtomicLong();
        AtomicLong lastProbe = new AtomicLong(System.nanoTime());
        loop.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            longestProbeDelay.accumulateAndGet(now - lastProbe.getAndSet(now) - 1_000_000, Math::max);
        }, 1, 1, TimeUnit.MILLISECONDS);
        Method ban = HttpCache.class.getMethod("ban", Pattern.class, Pattern.class);
        // a first ban that matches nothing warms the code path (class loading, the JIT, the lurker's thread)
        loop.submit(() -> ban.invoke(cache, null, Pattern.compile("^/none/"))).get();
        Thread.sleep(3000);
        longestProbeDelay.set(0);
        long call = loop.submit(() -> {
            long t = System.nanoTime();
            ban.invoke(cache, null, Pattern.compile("^/a/"));
            return System.nanoTime() - t;
        }).get();
        long start = System.nanoTime();
        while (cache.objects() > objects / 2 + 1 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(120)) {
            Thread.sleep(1);
        }
        long applied = System.nanoTime() - start;
        Thread.sleep(100);
        System.out.printf("%d objects: ban call on the loop %.3f ms; applied to all within %.0f ms more;"
                        + " longest delay of a 1 ms loop task meanwhile %.1f ms; objects left %d%n", objects,
                call / 1e6, applied / 1e6, longestProbeDelay.get() / 1e6, cache.objects());
        loop.shutdownGracefully();
        cache.clear();
    }
}
