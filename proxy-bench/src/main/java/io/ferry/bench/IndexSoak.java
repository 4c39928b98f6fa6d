package io.ferry.bench;

import io.ferry.cache.CacheSettings;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A cache of 16 MiB fed far more distinct URLs than it holds — cache-busting query strings, a Vary
 * and two tags each — printing the live heap after a full GC as they pass: it must stay flat once the
 * cache is full (the indexes beside Caffeine shrink with it). Runs against any build's proxy-cache on
 * the class path. Usage: java -cp ... io.ferry.bench.IndexSoak [urls=1000000]
 */
public final class IndexSoak {
    private IndexSoak() {
    }

    public static void main(String[] args) {
        int urls = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        HttpCache cache = new HttpCache(new CacheSettings(16L << 20, 1 << 20, Duration.ofSeconds(120), Duration.ZERO,
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1)));
        StorePolicy.Decision d = new StorePolicy.Decision(true, "soak", 3_600_000, 0, 0, 0);
        for (int i = 1; i <= urls; i++) {
            cache.store(HttpCache.primaryKey("www.example.org", "/page?bust=" + i), "Accept-Language",
                    n -> n.equals("accept-language") ? "en" : null, 200, "OK",
                    List.of(Map.entry("Content-Type", "text/html"), Map.entry("Vary", "Accept-Language")),
                    UnpooledByteBufAllocator.DEFAULT.heapBuffer(512).writeZero(512), cache.now(), 0, d,
                    List.of("node:" + i, "list:" + (i % 100)));
            if (i % (urls / 5) == 0) {
                System.gc();
                long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                System.out.printf("%,d URLs stored: %,d objects held, live heap %,d MiB%n", i, cache.objects(),
                        used >> 20);
            }
        }
        cache.clear();
    }
}
