package io.ferry.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.accesslog.LogFormat;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.testing.Eventually;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request phases of an exchange, in order, against a client stream that records what the exchange
 * answers: which phase answers, and that no later phase (nor the origin) runs after it. No socket: the
 * answers are Ferry's own (validation, routing, purge, a stored object).
 */
class ExchangePhasesTest {
    private static final String CONFIG = """
            ferry {
              listeners = [ { name = http, port = 0 } ]
              backends { origin { servers = [ "127.0.0.1:9" ] } }
              routes = [
                { host = "cached.test", backend = origin }
                { host = "secure.test", backend = origin, redirect-https { code = 308 } }
              ]
              cache { enabled = true, default-ttl = 1h, purge.allow = [ "127.0.0.1/32" ] }
            }
            """;

    /** What the exchange sent its client. */
    private static final class RecordingStream implements ClientStream {
        final EventLoop loop;
        HttpResponse head;
        final StringBuilder body = new StringBuilder();
        volatile boolean ended;
        boolean mustClose;

        RecordingStream(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }

        @Override
        public ByteBufAllocator alloc() {
            return ByteBufAllocator.DEFAULT;
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 8000);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public boolean tls() {
            return false;
        }

        @Override
        public SSLSession tlsSession() {
            return null;
        }

        @Override
        public HttpVersion version(HttpRequest request) {
            return request.protocolVersion();
        }

        @Override
        public boolean takesFileRegions() {
            return false;
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void continueRequest() {
        }

        @Override
        public void sendInterim(HttpResponse interim) {
        }

        @Override
        public void sendHead(HttpResponse h, boolean mayDiscardRequestBody) {
            head = h;
        }

        @Override
        public void sendBody(Object part) {
            take(part);
        }

        @Override
        public void flush() {
        }

        @Override
        public void sendEnd(Object last) {
            take(last);
            ended = true;
        }

        @Override
        public void sendFull(FullHttpResponse response, boolean close) {
            head = response;
            take(response);
            ended = true;
            mustClose = close;
        }

        private void take(Object part) {
            if (part instanceof HttpContent c) {
                body.append(c.content().toString(StandardCharsets.UTF_8));
            }
            ReferenceCountUtil.release(part);
        }

        @Override
        public void sendSwitchingProtocols(HttpResponse response) {
            throw new AssertionError("no upgrade here");
        }

        @Override
        public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
            throw new AssertionError("no tunnel here");
        }

        @Override
        public void abort() {
            throw new AssertionError("nothing to abort");
        }

        @Override
        public void inputDemandChanged() {
        }
    }

    private final EventLoop loop = new DefaultEventLoop();
    private ProxyRuntime runtime;
    private ProxySettings settings;

    @BeforeEach
    void start() {
        FerryConfig config = ConfigLoader.parse(CONFIG, Path.of("."));
        runtime = new ProxyRuntime(config, new Upstreams(config, Transport.select(TransportKind.NIO)), Map.of(), null);
        settings = new ProxySettings("http", false, () -> runtime, new ProxyMetrics(), null, new LogFormat(LogFormat.DEFAULT));
        runtime.cache.cache.store(HttpCache.primaryKey("cached.test", "/page"), null, name -> null, 200, "OK",
                List.of(Map.entry("Content-Type", "text/plain")), Unpooled.copiedBuffer("stored", StandardCharsets.UTF_8),
                runtime.cache.cache.now(), 0, new StorePolicy.Decision(true, "test", 3_600_000, 0, 0, 0), List.of());
    }

    @AfterEach
    void stop() {
        runtime.cache.cache.clear();
        loop.shutdownGracefully();
    }

    /** Runs one exchange on the loop, as a front end would, and returns what its client got. */
    private RecordingStream exchange(HttpMethod method, String host, String uri, String... headers) throws Exception {
        RecordingStream client = new RecordingStream(loop);
        loop.submit(() -> {
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
            if (host != null) {
                req.headers().set("host", host);
            }
            for (int i = 0; i < headers.length; i += 2) {
                req.headers().add(headers[i], headers[i + 1]);
            }
            Exchange ex = new Exchange(client, settings, runtime, "127.0.0.1");
            ex.start(req);
        }).get();
        return client;
    }

    @Test
    void validationAnswersBeforeRoutingAndCloses() throws Exception {
        RecordingStream c = exchange(HttpMethod.GET, null, "/page");
        assertEquals(400, c.head.status().code(), "HTTP/1.1 without Host");
        assertTrue(c.mustClose);
    }

    @Test
    void routingAnswers404AndNothingAfterItRuns() throws Exception {
        RecordingStream c = exchange(HttpMethod.GET, "nowhere.test", "/page");
        assertEquals(404, c.head.status().code());
        assertNull(c.head.headers().get("x-cache"), "the cache phases never ran");
    }

    @Test
    void aRoutesRedirectAnswersPlainRequests() throws Exception {
        RecordingStream c = exchange(HttpMethod.GET, "secure.test", "/login?next=/");
        assertEquals(308, c.head.status().code());
        assertEquals("https://secure.test/login?next=/", c.head.headers().get("location"));
    }

    @Test
    void invalidationAnswersBeforeTheCacheLooksUp() throws Exception {
        RecordingStream purge = exchange(HttpMethod.valueOf("PURGE"), "cached.test", "/page");
        assertEquals(200, purge.head.status().code());
        assertEquals("1", purge.head.headers().get("x-purged-objects"));
        assertTrue(purge.body.toString().startsWith("purged 1 objects of cached.test/page"), purge.body.toString());
        assertEquals(0, runtime.cache.cache.objects());
    }

    @Test
    void theCacheLookupAnswersAHitWithoutTheOrigin() throws Exception {
        RecordingStream c = exchange(HttpMethod.GET, "cached.test", "/page");
        assertEquals(200, c.head.status().code());
        assertEquals("HIT", c.head.headers().get("x-cache"));
        assertEquals("stored", c.body.toString());
        assertTrue(c.ended);
        assertFalse(c.mustClose);
    }

    @Test
    void aPassedRequestGoesThroughEveryPhaseToTheOrigin() throws Exception {
        // Port 9 refuses connections: a 502 is the proof that no phase answered and the origin was tried.
        RecordingStream c = exchange(HttpMethod.POST, "cached.test", "/page", "content-length", "0");
        Eventually.until("the origin's answer", () -> c.ended);
        assertEquals(502, c.head.status().code());
        assertEquals(1, runtime.cache.cache.objects(), "a POST passes the cache and leaves the object alone");
    }
}
