package io.ferry.bench;

import io.ferry.http.ForwardedHeaders;
import io.ferry.http.HopByHopHeaders;
import io.ferry.http1.Http1ClientCodec;
import io.ferry.http1.Http1ServerCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a proxied HTTP/1.1 exchange costs in codecs and header edits, without sockets: a browser's request
 * decoded on the client side, its hop-by-hop fields removed and X-Forwarded-* and Via added, encoded
 * towards the backend; the backend's 1 KiB response decoded, edited (hop-by-hop, Via) and encoded to the
 * client. {@code codec=netty} is Netty's HttpServerCodec/HttpClientCodec, {@code codec=lean} Ferry's
 * {@link Http1ServerCodec}/{@link Http1ClientCodec}: the same edits through both, so the difference is
 * the codec's. Run with {@code -prof gc} for the bytes allocated per exchange.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProxyCodecBenchmark {
    private static final String REQUEST = "GET /wp-content/themes/twentytwentyfour/style.css?ver=1.2 HTTP/1.1\r\n"
            + "Host: www.example.org\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n"
            + "Accept: text/css,*/*;q=0.1\r\nAccept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Referer: https://www.example.org/\r\nConnection: keep-alive\r\nCookie: _ga=GA1.2.3; wp-settings-1=x\r\n"
            + "Sec-Fetch-Dest: style\r\nSec-Fetch-Mode: no-cors\r\n\r\n";
    private static final String RESPONSE_HEAD = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            + "Date: Wed, 02 Dec 2026 18:00:00 GMT\r\nContent-Type: text/css\r\nContent-Length: 1024\r\n"
            + "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"6751-400\"\r\n"
            + "Accept-Ranges: bytes\r\n\r\n";

    @Param({"netty", "lean"})
    public String codec;

    private EmbeddedChannel clientSide;
    private EmbeddedChannel backendSide;
    private ByteBuf request;
    private ByteBuf response;
    private final ForwardedHeaders forwarded = new ForwardedHeaders("ferry");

    @Setup(Level.Trial)
    public void setup() {
        boolean lean = codec.equals("lean");
        HttpDecoderConfig config = new HttpDecoderConfig().setMaxChunkSize(64 * 1024);
        clientSide = new EmbeddedChannel(lean ? new Http1ServerCodec(8192, 16384) : new HttpServerCodec(config));
        backendSide = new EmbeddedChannel(lean ? new Http1ClientCodec(8192, 16384) : new HttpClientCodec(config, false, false));
        request = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(REQUEST.getBytes(StandardCharsets.US_ASCII)));
        response = Unpooled.unreleasableBuffer(Unpooled.directBuffer()
                .writeBytes(RESPONSE_HEAD.getBytes(StandardCharsets.US_ASCII)).writeZero(1024));
        if (exchange() < 1024 + 200) {
            throw new IllegalStateException("the exchange did not go through");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clientSide.finishAndReleaseAll();
        backendSide.finishAndReleaseAll();
    }

    /** One exchange; returns the bytes written towards the backend and the client. */
    @Benchmark
    public long exchange() {
        clientSide.writeInbound(request.duplicate());
        HttpRequest req = clientSide.readInbound();
        Object end = clientSide.readInbound();
        HopByHopHeaders.strip(req.headers());
        forwarded.onRequest(req.headers(), req.protocolVersion(), "192.0.2.10", false, req.headers().get("host"));
        backendSide.writeOutbound(req, end);
        long bytes = drainOutbound(backendSide);

        backendSide.writeInbound(response.duplicate());
        HttpResponse res = backendSide.readInbound();
        HopByHopHeaders.strip(res.headers());
        forwarded.onResponse(res.headers(), HttpVersion.HTTP_1_1);
        clientSide.write(res);
        Object part;
        while ((part = backendSide.readInbound()) != null) {
            clientSide.write(part);
        }
        clientSide.flush();
        return bytes + drainOutbound(clientSide);
    }

    private static long drainOutbound(EmbeddedChannel ch) {
        long bytes = 0;
        Object out;
        while ((out = ch.readOutbound()) != null) {
            if (out instanceof ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }
}
