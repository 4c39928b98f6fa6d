package io.ferry.bench;

import io.ferry.frontend.Http2ResponseHeaders;
import io.ferry.http.ForwardedHeaders;
import io.ferry.http.HopByHopHeaders;
import io.ferry.http1.Http1ClientCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a proxied response head costs an HTTP/2 client connection: the backend's HTTP/1.1 head decoded by
 * Ferry's client codec, its hop-by-hop fields removed and Via added, turned into HTTP/2 fields
 * ({@link Http2ResponseHeaders}) and HPACK-encoded as on a connection that has sent such heads before.
 * Run with {@code -prof gc} for the bytes allocated per head.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Http2ResponseHeadBenchmark {
    private static final String RESPONSE_HEAD = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            + "Date: Wed, 02 Dec 2026 18:00:00 GMT\r\nContent-Type: text/css\r\nContent-Length: 0\r\n"
            + "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"6751-400\"\r\n"
            + "Accept-Ranges: bytes\r\nCache-Control: max-age=3600\r\n\r\n";

    private EmbeddedChannel backendSide;
    private ByteBuf response;
    private ByteBuf hpack;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final ForwardedHeaders forwarded = new ForwardedHeaders("ferry");

    @Setup(Level.Trial)
    public void setup() throws Http2Exception {
        backendSide = new EmbeddedChannel(new Http1ClientCodec(8192, 16384));
        response = Unpooled.unreleasableBuffer(Unpooled.directBuffer()
                .writeBytes(RESPONSE_HEAD.getBytes(StandardCharsets.US_ASCII)));
        hpack = Unpooled.directBuffer(1024);
        if (head() < 10) {
            throw new IllegalStateException("no HPACK block");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backendSide.finishAndReleaseAll();
        hpack.release();
    }

    /** One head; returns the HPACK block's length. */
    @Benchmark
    public int head() throws Http2Exception {
        backendSide.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/style.css"));
        Object sent;
        while ((sent = backendSide.readOutbound()) != null) {
            ReferenceCountUtil.release(sent);
        }
        backendSide.writeInbound(response.duplicate());
        HttpResponse res = backendSide.readInbound();
        Object end = backendSide.readInbound();
        ReferenceCountUtil.release(end);
        HopByHopHeaders.strip(res.headers());
        forwarded.onResponse(res.headers(), HttpVersion.HTTP_1_1);
        hpack.clear();
        encoder.encodeHeaders(1, Http2ResponseHeaders.head(res), hpack);
        return hpack.readableBytes();
    }
}
