package io.ferry.bench;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.rules.Outcome;
import io.ferry.rules.RequestRuleSet;
import io.ferry.rules.RequestTarget;
import io.ferry.rules.ResponseFacts;
import io.ferry.rules.ResponseRuleSet;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The cost of the rules on one request: conf/examples/wordpress.conf's request rules (five, none of which
 * ends an ordinary page request, so all conditions are tested) and its response rules (header edits on
 * an HTML page), on a typical WordPress page request; {@code baseline} is the cost of making the heads
 * afresh each time, which the others include. Run with {@code -prof gc} for the bytes per request.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RulesBenchmark {
    private RequestRuleSet requestRules;
    private ResponseRuleSet responseRules;
    private Page page;

    @Setup
    public void setup() throws Exception {
        Path example = Path.of(System.getProperty("ferry.example", "conf/examples/wordpress.conf"));
        Path root = Files.createTempDirectory("wp");
        FerryConfig config = ConfigLoader.parse(Files.readString(example).replace("/usr/share/wordpress", root.toString()),
                example.getParent());
        requestRules = RequestRuleSet.compile(config.rules().request(), config.rules().maps());
        responseRules = ResponseRuleSet.compile(config.rules().response(), config.rules().maps());
        page = new Page();
    }

    /** The request and response heads made afresh, without rules: subtract it from the two below. */
    @Benchmark
    public HttpHeaders baseline() {
        page.reset();
        return page.responseHeaders;
    }

    @Benchmark
    public Outcome requestRules() {
        page.reset();
        return requestRules.apply(page);
    }

    @Benchmark
    public HttpHeaders responseRules() {
        page.reset();
        responseRules.apply(page, page, page.responseHeaders);
        return page.responseHeaders;
    }

    /** A request for a WordPress post from a browser, and the page's response head. */
    static final class Page implements RequestTarget, ResponseFacts {
        private final InetAddress client = InetAddress.getLoopbackAddress();
        final HttpHeaders requestHeaders = new DefaultHttpHeaders();
        final HttpHeaders responseHeaders = new DefaultHttpHeaders();
        private String uri;
        private String path; // worked out once per request, as the exchange's RuleFacts does

        void reset() {
            reset("/2024/05/hello-world/?replytocom=12");
        }

        void reset(String target) {
            uri = target;
            path = null;
            requestHeaders.clear();
            requestHeaders.set("host", "www.example.org").set("user-agent", "Mozilla/5.0")
                    .set("accept", "text/html").set("cookie", "_ga=GA1.2.3; wp-settings-1=x");
            responseHeaders.clear();
            responseHeaders.set("content-type", "text/html; charset=UTF-8").set("x-powered-by", "PHP/8.2")
                    .set("link", "<https://www.example.org/wp-json/>; rel=\"https://api.w.org/\"");
        }

        @Override
        public String method() {
            return "GET";
        }

        @Override
        public String host() {
            return "www.example.org";
        }

        @Override
        public String path() {
            if (path == null) {
                int q = uri.indexOf('?');
                path = q < 0 ? uri : uri.substring(0, q);
            }
            return path;
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public String header(CharSequence name) {
            return requestHeaders.get(name);
        }

        @Override
        public InetAddress clientAddress() {
            return client;
        }

        @Override
        public String clientIp() {
            return "203.0.113.9";
        }

        @Override
        public boolean tls() {
            return true;
        }

        @Override
        public String listener() {
            return "https";
        }

        @Override
        public String requestId() {
            return "0123456789abcdef0123456789abcdef";
        }

        @Override
        public HttpHeaders headers() {
            return requestHeaders;
        }

        @Override
        public void rewriteUri(String newUri) {
            uri = newUri;
            path = null;
        }

        @Override
        public void onEnd(Runnable release) {
            release.run(); // the benchmark's request ends at once
        }

        @Override
        public int status() {
            return 200;
        }

        @Override
        public String contentType() {
            return responseHeaders.get("content-type");
        }
    }
}
