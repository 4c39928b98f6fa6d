package io.ferry.bench;

import io.ferry.cache.CacheSettings;
import io.ferry.cache.CacheSnapshot;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How long cache.persist-file takes: a cache filled with {@code gib} GiB of {@code kib}-KiB objects is
 * written (the graceful stop) and read into an empty cache (the next start). Run with room for both:
 * {@code java -XX:MaxDirectMemorySize=3g -cp proxy-bench/target/benchmarks.jar io.ferry.bench.SnapshotTiming 1 100 /tmp}
 */
public final class SnapshotTiming {
    private SnapshotTiming() {
    }

    public static void main(String[] args) throws Exception {
        double gib = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        int kib = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Path dir = Path.of(args.length > 2 ? args[2] : System.getProperty("java.io.tmpdir"));
        long total = (long) (gib * (1L << 30));
        int objects = (int) (total / (kib * 1024L));
        CacheSettings settings = new CacheSettings(total + (64L << 20), 8 << 20, Duration.ofSeconds(120), Duration.ZERO,
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1));
        HttpCache cache = new HttpCache(settings);
        StorePolicy.Decision d = new StorePolicy.Decision(true, "bench", 3_600_000, 0, 0, 0);
        byte[] body = new byte[kib * 1024];
        new java.util.Random(1).nextBytes(body);
        for (int i = 0; i < objects; i++) {
            cache.store(HttpCache.primaryKey("www.example.org", "/assets/" + i + ".js"), null, n -> null, 200, "OK",
                    List.of(Map.entry("Content-Type", "text/javascript"), Map.entry("ETag", "\"" + i + "\"")),
                    UnpooledByteBufAllocator.DEFAULT.directBuffer(body.length).writeBytes(body), cache.now(), 0, d, List.of());
        }
        Path file = dir.resolve("ferry-snapshot-timing.bin");
        CacheSnapshot.Result w = CacheSnapshot.write(cache, file);
        long size = Files.size(file);
        cache.clear();
        HttpCache fresh = new HttpCache(settings);
        CacheSnapshot.Result r = CacheSnapshot.read(fresh, file);
        Files.delete(file);
        System.out.printf("%d objects of %d KiB (%.2f GiB, file %.2f GiB): written in %d ms (%.0f MiB/s), read in %d ms "
                + "(%.0f MiB/s), %d objects back%n", w.objects(), kib, w.bytes() / (double) (1L << 30), size / (double) (1L << 30),
                w.millis(), w.bytes() / 1048576.0 / Math.max(1, w.millis()) * 1000, r.millis(),
                r.bytes() / 1048576.0 / Math.max(1, r.millis()) * 1000, fresh.objects());
        fresh.clear();
    }
}
