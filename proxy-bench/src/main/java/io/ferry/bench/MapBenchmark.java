package io.ferry.bench;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.rules.Outcome;
import io.ferry.rules.RequestRuleSet;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A redirect map of {@code lines} legacy URLs (HAProxy map / nginx map lines) behind one rule,
 * {@code if { map = legacy }, redirect { location = "$map_legacy" }}: the cost per request of a URL in
 * the map (a redirect is built) and of one that is not (the request goes on). {@code main} reports the
 * load time and the heap the map keeps.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MapBenchmark {
    @Param({"100000"})
    public int lines;

    private RequestRuleSet rules;
    private RulesBenchmark.Page hit;
    private RulesBenchmark.Page miss;

    @Setup
    public void setup() throws Exception {
        rules = load(writeMap(lines));
        hit = new RulesBenchmark.Page();
        hitUri = "/legacy/page-" + (lines / 2) + ".html";
        miss = new RulesBenchmark.Page();
    }

    private String hitUri;

    /** The request made afresh, without the rules: subtract it from the two below. */
    @Benchmark
    public String baseline() {
        hit.reset(hitUri);
        return hit.uri();
    }

    @Benchmark
    public Outcome inTheMap() {
        hit.reset(hitUri);
        return rules.apply(hit);
    }

    @Benchmark
    public Outcome notInTheMap() {
        miss.reset("/2024/05/hello-world/");
        return rules.apply(miss);
    }

    static Path writeMap(int lines) throws Exception {
        Path file = Files.createTempFile("legacy", ".map");
        try (BufferedWriter out = Files.newBufferedWriter(file)) {
            for (int i = 0; i < lines; i++) {
                out.write("/legacy/page-" + i + ".html https://www.example.org/articles/" + i + "-a-title-of-some-length/\n");
            }
        }
        file.toFile().deleteOnExit();
        return file;
    }

    static RequestRuleSet load(Path map) throws Exception {
        Path root = Files.createTempDirectory("site");
        FerryConfig config = ConfigLoader.parse("""
                ferry {
                  listeners = [ { port = 8000 } ]
                  backends.app.servers = [ "127.0.0.1:8080" ]
                  routes = [ { backend = app } ]
                  rules.maps.legacy { file = "%s", key = "$uri" }
                  rules.request = [ { if { map = legacy }, redirect { status = 301, location = "$map_legacy" } } ]
                }
                """.formatted(map), root);
        return RequestRuleSet.compile(config.rules().request(), config.rules().maps());
    }

    /** Load time and retained heap of a {@code lines}-line map: {@code java -cp ... MapBenchmark [lines]}. */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Path map = writeMap(n);
        load(writeMap(1000)); // classes loaded and code warm before the measured load
        var memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        long start = System.nanoTime();
        RequestRuleSet rules = load(map);
        long loadNanos = System.nanoTime() - start;
        System.gc();
        long after = memory.getHeapMemoryUsage().getUsed();
        System.out.printf("%d lines (%d KiB file): loaded in %d ms, %.1f MiB of heap kept (%.0f bytes per entry)%n", n,
                Files.size(map) / 1024, loadNanos / 1_000_000, (after - before) / 1048576.0, (after - before) / (double) n);
        if (rules.isEmpty()) {
            throw new IllegalStateException("no rules");
        }
    }
}
