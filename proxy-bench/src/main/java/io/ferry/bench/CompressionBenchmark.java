package io.ferry.bench;

import io.ferry.compress.BodyEncoder;
import io.ferry.compress.Encodings;
import io.ferry.config.CompressionConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
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
 * What a compressed response costs Ferry on a miss, by encoding and level: one 24 KiB HTML page (the
 * bench/run.sh compress page's kind, compressing about 5:1) through the encoder the compression phase
 * uses, whole. {@code main} prints the compressed size of each, i.e. the bytes saved.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CompressionBenchmark {
    @Param({"gzip:1", "gzip:6", "gzip:9", "br:1", "br:4", "br:6", "br:9", "zstd:1", "zstd:3", "zstd:9", "zstd:19"})
    public String coding;

    private CompressionConfig config;
    private CompressionConfig.Algorithm algorithm;
    private ByteBuf page;

    @Setup
    public void setup() {
        String[] p = coding.split(":");
        algorithm = CompressionConfig.Algorithm.valueOf(p[0].toUpperCase(java.util.Locale.ROOT));
        int level = Integer.parseInt(p[1]);
        CompressionConfig d = CompressionConfig.OFF;
        config = new CompressionConfig(true, List.of(algorithm), d.types(), 0, algorithm == CompressionConfig.Algorithm.GZIP
                ? level : 6, algorithm == CompressionConfig.Algorithm.BR ? level : 4,
                algorithm == CompressionConfig.Algorithm.ZSTD ? level : 3, false);
        page = Unpooled.wrappedBuffer(page());
    }

    /** The bench script's page: paragraphs of words from a small vocabulary, 24 KiB. */
    static byte[] page() {
        Random random = new Random(7);
        String[] words = "ferry cache proxy request response header body stream backend origin client route rule page post"
                .split(" ");
        StringBuilder sb = new StringBuilder("<!doctype html><html><head><title>Bench</title></head><body>\n");
        while (sb.length() < 24 * 1024 - 200) {
            sb.append("<p class=\"post\">");
            for (int i = 0; i < 12; i++) {
                sb.append(i == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            sb.append("</p>\n");
        }
        return sb.append("</body></html>\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public int compressPage() throws Exception {
        ByteBuf out = compress(algorithm, config, page.duplicate());
        int n = out.readableBytes();
        out.release();
        return n;
    }

    static ByteBuf compress(CompressionConfig.Algorithm algorithm, CompressionConfig config, ByteBuf in) throws Exception {
        try (BodyEncoder e = Encodings.open(algorithm, config)) {
            ByteBuf body = e.encode(ByteBufAllocator.DEFAULT, in);
            ByteBuf tail = e.finish(ByteBufAllocator.DEFAULT);
            return Unpooled.wrappedBuffer(body, tail);
        }
    }

    /** The size of the page in each encoding and level. */
    public static void main(String[] args) throws Exception {
        byte[] page = page();
        System.out.printf("page: %d bytes%n", page.length);
        for (String coding : CompressionBenchmark.class.getField("coding").getAnnotation(Param.class).value()) {
            CompressionBenchmark b = new CompressionBenchmark();
            b.coding = coding;
            b.setup();
            ByteBuf out = compress(b.algorithm, b.config, b.page.duplicate());
            System.out.printf("%-8s %6d bytes (%.1f %%)%n", coding, out.readableBytes(), 100.0 * out.readableBytes() / page.length);
            out.release();
        }
    }
}
