package io.ferry.bench;

import io.ferry.balance.SmoothWeightedRoundRobin;
import io.ferry.http.ForwardedHeaders;
import io.ferry.http.HopByHopHeaders;
import io.ferry.route.Router;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request steps between decoding a request and writing it upstream: routing, the header
 * rewrite (hop-by-hop removal plus forwarding headers) and the balancer pick.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestPathBenchmark {
    private record Route(List<String> hosts, String path, String target) {
    }

    private Router<String> router;
    private ForwardedHeaders forwarded;
    private SmoothWeightedRoundRobin<String> balancer;
    private HttpHeaders template;

    @Setup
    public void setup() {
        router = Router.build(List.of(
                        new Route(List.of("static.example.org"), "/", "static"),
                        new Route(List.of("*.courses.example.org"), "/admin", "admin"),
                        new Route(List.of("*.courses.example.org"), "/", "courses"),
                        new Route(List.of("*"), "/", "default")),
                Route::hosts, Route::path, Route::target);
        forwarded = new ForwardedHeaders("ferry");
        balancer = new SmoothWeightedRoundRobin<>(List.of("a", "b", "c"), List.of(5, 1, 1));
        template = new DefaultHttpHeaders()
                .add("Host", "math101.courses.example.org")
                .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
                .add("Accept", "text/html,application/xhtml+xml")
                .add("Accept-Encoding", "gzip, br")
                .add("Cookie", "SSESS0123456789abcdef=abcdef; _ga=GA1.2.3")
                .add("Connection", "keep-alive");
    }

    @Benchmark
    public String route() {
        return router.route("Math101.courses.example.org:8000", "/node/42?page=2");
    }

    @Benchmark
    public HttpHeaders rewriteHeaders() {
        HttpHeaders h = template.copy();
        HopByHopHeaders.strip(h);
        forwarded.onRequest(h, HttpVersion.HTTP_1_1, "203.0.113.9", false, "math101.courses.example.org");
        return h;
    }

    @Benchmark
    public String balancerPick() {
        return balancer.pick(s -> true);
    }
}
