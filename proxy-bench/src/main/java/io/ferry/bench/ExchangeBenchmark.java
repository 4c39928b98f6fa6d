package io.ferry.bench;

import io.ferry.accesslog.LogFormat;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.frontend.Http1FrontEnd;
import io.ferry.frontend.RequestHeadTimeout;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole request path of a client connection, without sockets: request bytes in, through the
 * HTTP/1.1 codec, the front end and the exchange's phases (validation, routing, request rules, cache
 * lookup) to a cache hit or a local 404, and response bytes out. Runs on an EmbeddedChannel, so it
 * measures Ferry's own code per request, not the kernel's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExchangeBenchmark {
    private static final String CONFIG = """
            ferry {
              listeners = [ { name = bench, port = 18999 } ]
              backends { origin { servers = [ "127.0.0.1:9" ] } }
              routes = [ { host = "www.example.org", backend = origin } ]
              cache { enabled = true, default-ttl = 1h }
              admin.enabled = false
              demo.enabled = false
            %s}
            """;

    /** A WordPress site's rules (as bench/run.sh's ferry-rules): what rules add to a hit. */
    private static final String RULES = """
              rules {
                limits.login { rate = 5, per = 1m, burst = 5 }
                request = [
                  { if { path = [ "/wp-login.php", "/xmlrpc.php" ], method = POST }, limit = login }
                  { if { path-prefix = [ "/wp-admin/", "/wp-login.php" ], not { network = [ "192.0.2.0/24" ] } }, deny = 403 }
                  { if { path-regex = "/\\\\.(?!well-known/)|\\\\.(bak|sql|old|orig)$" }, deny = 404 }
                  { if { host = [ "old-example.org", "*.old-example.org" ] }, redirect { status = 301, location = "https://www.example.org$request_uri" } }
                  { set-header { X-Request-Start = "$request_id" } }
                ]
                response = [
                  { set-header { X-Frame-Options = SAMEORIGIN, X-Content-Type-Options = nosniff, Referrer-Policy = "strict-origin-when-cross-origin" } }
                  { del-header = [ X-Powered-By, X-Pingback ] }
                ]
                request-id.enabled = true
              }
            """;

    /** none, or a WordPress site's rules with request IDs. */
    @Param({"none", "wordpress"})
    public String rules;

    /**
     * off (the default: the trace phase is one configuration check), or on (traceparent continued or started and
     * set on the request; no collector, so nothing exported): what tracing costs a hit when off and when on.
     */
    @Param({"off", "on"})
    public String tracing;

    private EmbeddedChannel channel;
    private ProxyRuntime runtime;
    private ByteBuf hitRequest;
    private ByteBuf noRouteRequest;

    @Setup(Level.Trial)
    public void setup() {
        FerryConfig config = ConfigLoader.parse(CONFIG.formatted((rules.equals("none") ? "" : RULES)
                + (tracing.equals("on") ? "  tracing.enabled = true\n" : "")), Path.of("."));
        runtime = new ProxyRuntime(config, new Upstreams(config, Transport.select(TransportKind.NIO)), Map.of(), null);
        ProxySettings settings = new ProxySettings("bench", false, () -> runtime, new ProxyMetrics(), null,
                new LogFormat(LogFormat.DEFAULT));
        ByteBuf body = UnpooledByteBufAllocator.DEFAULT.directBuffer(1024).writeZero(1024);
        runtime.cache.cache.store(HttpCache.primaryKey("www.example.org", "/1k"), null, name -> null, 200, "OK",
                List.of(Map.entry("Content-Type", "text/plain"), Map.entry("Cache-Control", "max-age=3600")),
                body, runtime.cache.cache.now(), 0, new StorePolicy.Decision(true, "bench", 3_600_000, 0, 0, 0),
                List.of());
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60));
        channel = new EmbeddedChannel(headTimeout, new HttpServerCodec(), new Http1FrontEnd(settings, headTimeout));
        hitRequest = request("www.example.org", "/1k");
        noRouteRequest = request("elsewhere.example.org", "/");
        expect(hitRequest, "HTTP/1.1 200 OK");
        expect(noRouteRequest, "HTTP/1.1 404 Not Found");
    }

    /** Checks the answer once, so the numbers are for the path they claim to be. */
    private void expect(ByteBuf request, String statusLine) {
        channel.writeInbound(request.duplicate());
        ByteBuf head = channel.readOutbound();
        String text = head.toString(StandardCharsets.US_ASCII);
        head.release();
        channel.releaseOutbound();
        if (!text.startsWith(statusLine)) {
            throw new IllegalStateException("expected " + statusLine + ", got " + text);
        }
    }

    private static ByteBuf request(String host, String path) {
        String text = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
                + "Accept: */*\r\nAccept-Encoding: gzip, br\r\nCookie: _ga=GA1.2.3\r\n\r\n";
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        runtime.cache.cache.clear();
    }

    /** A keepalive request answered from the cache: the hot path of a cached site. */
    @Benchmark
    public long cacheHit() {
        return roundTrip(hitRequest);
    }

    /** A request answered by Ferry itself (no route, 404): the request phases and a local answer. */
    @Benchmark
    public long localAnswer() {
        return roundTrip(noRouteRequest);
    }

    private long roundTrip(ByteBuf request) {
        channel.writeInbound(request.duplicate());
        long bytes = 0;
        Object out;
        while ((out = channel.readOutbound()) != null) {
            if (out instanceof ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        if (bytes == 0) {
            throw new IllegalStateException("no response");
        }
        return bytes;
    }
}
