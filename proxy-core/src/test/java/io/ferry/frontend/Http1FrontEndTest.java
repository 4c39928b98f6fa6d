package io.ferry.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.accesslog.LogFormat;
import io.ferry.cache.HttpCache;
import io.ferry.cache.StorePolicy;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.TransportKind;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1.1 front end's keepalive, close, chunking and pipelining matrix, on an EmbeddedChannel (as
 * Netty's HttpServerKeepAliveHandlerTest does): no sockets, no origin. Answers come from Ferry itself —
 * a stored object (200 with a body) or no route (404) — so every case runs the real request phases.
 */
class Http1FrontEndTest {
    private static final String CONFIG = """
            ferry {
              listeners = [ { name = http, port = 0 } ]
              backends { origin { servers = [ "127.0.0.1:9" ] } }
              routes = [ { host = "cached.test", backend = origin } ]
              cache { enabled = true, default-ttl = 1h }
            }
            """;

    private ProxyRuntime runtime;
    private EmbeddedChannel channel;

    @BeforeEach
    void start() {
        FerryConfig config = ConfigLoader.parse(CONFIG, Path.of("."));
        runtime = new ProxyRuntime(config, new Upstreams(config, Transport.select(TransportKind.NIO)), Map.of(), null);
        runtime.cache.cache.store(HttpCache.primaryKey("cached.test", "/page"), null, name -> null, 200, "OK",
                List.of(Map.entry("Content-Type", "text/plain")),
                Unpooled.copiedBuffer("stored body", StandardCharsets.US_ASCII), runtime.cache.cache.now(), 0,
                new StorePolicy.Decision(true, "test", 3_600_000, 0, 0, 0), List.of());
        ProxySettings settings = new ProxySettings("http", false, () -> runtime, new ProxyMetrics(), null,
                new LogFormat(LogFormat.DEFAULT));
        RequestHeadTimeout timeout = new RequestHeadTimeout(TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60));
        channel = new EmbeddedChannel(timeout, new HttpServerCodec(), new Http1FrontEnd(settings, timeout));
    }

    @AfterEach
    void stop() {
        channel.finishAndReleaseAll();
        runtime.cache.cache.clear();
    }

    /** Writes client bytes and returns everything Ferry wrote back, as text. */
    private String exchange(String clientBytes) {
        channel.writeInbound(Unpooled.copiedBuffer(clientBytes, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(o);
        }
        return out.toString();
    }

    private static List<String> statusLines(String responses) {
        List<String> lines = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("HTTP/1\\.1 \\d{3}[^\r]*").matcher(responses);
        while (m.find()) {
            lines.add(m.group());
        }
        return lines;
    }

    private static final String HIT = "GET /page HTTP/1.1\r\nHost: cached.test\r\n\r\n";
    private static final String NO_ROUTE = "GET /x HTTP/1.1\r\nHost: elsewhere.test\r\n\r\n";

    @Test
    void http11KeepsTheConnectionByDefault() {
        String first = exchange(HIT);
        assertTrue(first.startsWith("HTTP/1.1 200 OK"), first);
        assertTrue(first.endsWith("stored body"), first);
        assertFalse(first.toLowerCase().contains("connection: close"), first);
        assertTrue(exchange(NO_ROUTE).startsWith("HTTP/1.1 404"));
        assertTrue(channel.isOpen());
    }

    @Test
    void connectionCloseIsAnsweredThenClosed() {
        String r = exchange("GET /page HTTP/1.1\r\nHost: cached.test\r\nConnection: close\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
        assertTrue(r.toLowerCase().contains("connection: close"), r);
        assertFalse(channel.isOpen(), "closed after the response");
    }

    @Test
    void http10ClosesUnlessItAsksForKeepAlive() {
        String kept = exchange("GET /page HTTP/1.0\r\nHost: cached.test\r\nConnection: keep-alive\r\n\r\n");
        assertTrue(kept.startsWith("HTTP/1.1 200 OK"), kept);
        assertTrue(kept.toLowerCase().contains("connection: keep-alive"), kept);
        assertTrue(channel.isOpen());
        String last = exchange("GET /page HTTP/1.0\r\nHost: cached.test\r\n\r\n");
        assertTrue(last.startsWith("HTTP/1.1 200 OK"), last);
        assertFalse(channel.isOpen(), "HTTP/1.0 without keep-alive: closed after the response");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        String r = exchange(HIT + NO_ROUTE + HIT);
        assertEquals(List.of("HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"), statusLines(r));
        assertTrue(channel.isOpen());
    }

    @Test
    void aChunkedBodyBeforeALocalAnswerIsReadAndTheNextRequestServed() {
        String r = exchange("POST /form HTTP/1.1\r\nHost: elsewhere.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + HIT);
        assertEquals(List.of("HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"), statusLines(r));
        assertTrue(channel.isOpen());
    }

    @Test
    void aMalformedHeadIs400AndTheConnectionCloses() {
        String r = exchange("GET /page HTTP/1.1\r\nHost: cached.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        assertFalse(channel.isOpen());
    }

    @Test
    void aRequestWithBothFramingsIsRefused() {
        String r = exchange("POST /page HTTP/1.1\r\nHost: cached.test\r\nContent-Length: 3\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        assertFalse(channel.isOpen(), "never forwarded, never kept: request smuggling");
    }
}
