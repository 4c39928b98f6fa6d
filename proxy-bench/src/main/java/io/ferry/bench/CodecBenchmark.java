package io.ferry.bench;

import io.ferry.fastcgi.FcgiEncoding;
import io.ferry.fastcgi.FcgiRecord;
import io.ferry.fastcgi.FcgiRecordDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The byte-level steps of the hot path: decoding a browser-sized request head, encoding a response
 * head with a 1 KiB body held in memory (a cache hit's write), and FastCGI's PARAMS encoding and
 * record decoding.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
    private EmbeddedChannel decoder;
    private EmbeddedChannel encoder;
    private EmbeddedChannel fcgiDecoder;
    private ByteBuf requestBytes;
    private ByteBuf cachedBody;
    private ByteBuf stdoutRecord;
    private List<Map.Entry<String, String>> params;

    @Setup
    public void setup() {
        decoder = new EmbeddedChannel(new HttpRequestDecoder());
        encoder = new EmbeddedChannel(new HttpResponseEncoder());
        fcgiDecoder = new EmbeddedChannel(new FcgiRecordDecoder());
        requestBytes = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes((
                "GET /node/42?page=2 HTTP/1.1\r\nHost: math101.courses.example.org\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0\r\n"
                + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                + "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
                + "Cookie: _ga=GA1.2.3.4; has_js=1\r\nConnection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
        cachedBody = Unpooled.unreleasableBuffer(Unpooled.directBuffer(1024).writeZero(1024));
        params = new ArrayList<>();
        for (String[] p : new String[][] {{"GATEWAY_INTERFACE", "CGI/1.1"}, {"REQUEST_METHOD", "GET"},
                {"SCRIPT_FILENAME", "/var/www/drupal/web/index.php"}, {"SCRIPT_NAME", "/index.php"},
                {"REQUEST_URI", "/node/42?page=2"}, {"QUERY_STRING", "page=2"}, {"DOCUMENT_ROOT", "/var/www/drupal/web"},
                {"SERVER_PROTOCOL", "HTTP/1.1"}, {"REMOTE_ADDR", "203.0.113.9"}, {"SERVER_PORT", "8000"},
                {"HTTP_HOST", "math101.courses.example.org"}, {"HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)"},
                {"HTTP_ACCEPT", "text/html,application/xhtml+xml"}, {"HTTP_COOKIE", "SSESS0123=abc"}}) {
            params.add(Map.entry(p[0], p[1]));
        }
        ByteBuf record = Unpooled.directBuffer();
        record.writeByte(1).writeByte(FcgiRecord.STDOUT).writeShort(1).writeShort(4096).writeByte(0).writeByte(0)
                .writeZero(4096);
        stdoutRecord = Unpooled.unreleasableBuffer(record);
    }

    @TearDown
    public void tearDown() {
        decoder.finishAndReleaseAll();
        encoder.finishAndReleaseAll();
        fcgiDecoder.finishAndReleaseAll();
    }

    @Benchmark
    public Object decodeRequestHead() {
        decoder.writeInbound(requestBytes.duplicate());
        HttpRequest req = decoder.readInbound();
        Object last = decoder.readInbound();
        ReferenceCountUtil.release(last);
        return req;
    }

    @Benchmark
    public int encodeCachedResponse() {
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "public, max-age=300")
                .set(HttpHeaderNames.AGE, "12").set("X-Cache", "HIT").set(HttpHeaderNames.VIA, "1.1 ferry")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 1024);
        encoder.writeOutbound(res, new DefaultLastHttpContent(cachedBody.duplicate()));
        int n = 0;
        Object o;
        while ((o = encoder.readOutbound()) != null) {
            n += ((ByteBuf) o).readableBytes();
            ReferenceCountUtil.release(o);
        }
        return n;
    }

    @Benchmark
    public int encodeFastCgiParams() {
        ByteBuf out = FcgiEncoding.params(ByteBufAllocator.DEFAULT, 1, params);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    @Benchmark
    public int decodeFastCgiRecord() {
        fcgiDecoder.writeInbound(stdoutRecord.duplicate());
        FcgiRecord r = fcgiDecoder.readInbound();
        int n = r.content().readableBytes();
        r.release();
        return n;
    }
}
