package io.ferry.bench;

import io.ferry.cache.CacheControl;
import io.ferry.cache.CacheSettings;
import io.ferry.cache.CookieRules;
import io.ferry.cache.CachedResponse;
import io.ferry.cache.HttpCache;
import io.ferry.cache.RequestPolicy;
import io.ferry.cache.StorePolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cache's share of a hit: the request rules, the key, the lookup and taking a reference to the
 * stored body (which is then written as is); and the storing decision of a miss.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheHitBenchmark {
    private HttpCache cache;
    private RequestPolicy rules;
    private StorePolicy store;
    private final Function<String, String> headers = name -> name.equals("accept-encoding") ? "gzip, br" : null;

    @Setup(Level.Trial)
    public void setup() {
        cache = new HttpCache(new CacheSettings(64L << 20, 8 << 20, Duration.ofSeconds(120), Duration.ofSeconds(10),
                Duration.ZERO, Duration.ZERO, Duration.ofSeconds(120), Duration.ofHours(1)));
        rules = new RequestPolicy(Set.of("css", "js", "png"), CookieRules.strippingTracking(CookieRules.TRACKING),
                List.of("/admin"), true);
        store = new StorePolicy(cache.settings());
        for (int i = 0; i < 1000; i++) {
            ByteBuf body = UnpooledByteBufAllocator.DEFAULT.directBuffer(1024).writeZero(1024);
            cache.store(HttpCache.primaryKey("www.example.org", "/node/" + i), "Accept-Encoding", headers, 200, "OK",
                    List.of(Map.entry("Content-Type", "text/html"), Map.entry("Cache-Control", "max-age=3600")),
                    body, cache.now(), 0, new StorePolicy.Decision(true, "bench", 3_600_000, 10_000, 0, 0), List.of());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.clear();
    }

    @Benchmark
    public int hit() {
        RequestPolicy.Decision d = rules.decide("GET", "/node/42", false, "_ga=GA1.2.3");
        if (!d.lookup()) {
            return -1;
        }
        HttpCache.Lookup l = cache.lookup(HttpCache.primaryKey("www.example.org", "/node/42"), headers);
        CachedResponse c = l.object();
        ByteBuf body = HttpCache.tryRetainBody(c);
        int n = body.readableBytes();
        body.release();
        return n;
    }

    @Benchmark
    public boolean storeDecision() {
        return store.decide(200, CacheControl.parse("public, max-age=300, stale-while-revalidate=30"), false,
                "Accept-Encoding", null, null, 1024, true, 0).store();
    }
}
