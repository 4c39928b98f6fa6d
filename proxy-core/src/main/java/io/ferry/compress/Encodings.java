package io.ferry.compress;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.luben.zstd.ZstdOutputStream;
import io.ferry.config.CompressionConfig;
import io.ferry.config.CompressionConfig.Algorithm;
import java.io.IOException;
import java.io.OutputStream;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encodings this machine can produce: gzip always (the JDK), brotli and zstd when their native
 * libraries load (brotli4j, zstd-jni); one that does not is left out with a log line, and negotiation
 * falls back to the others.
 */
public final class Encodings {
    private static final Logger log = LoggerFactory.getLogger(Encodings.class);
    private static final Set<Algorithm> AVAILABLE = probe();

    private Encodings() {
    }

    /** Opens the encoding's stream over a sink. */
    interface StreamFactory {
        OutputStream open(OutputStream sink) throws IOException;
    }

    public static boolean available(Algorithm a) {
        return AVAILABLE.contains(a);
    }

    private static Set<Algorithm> probe() {
        Set<Algorithm> ok = EnumSet.of(Algorithm.GZIP);
        try {
            Brotli4jLoader.ensureAvailability();
            ok.add(Algorithm.BR);
        } catch (Throwable e) {
            log.warn("brotli is not available on this machine ({}); compression offers the other encodings", e.toString());
        }
        try {
            new ZstdOutputStream(OutputStream.nullOutputStream()).close();
            ok.add(Algorithm.ZSTD);
        } catch (Throwable e) {
            log.warn("zstd is not available on this machine ({}); compression offers the other encodings", e.toString());
        }
        return ok;
    }

    /** A new encoder for one body, at the configured level. */
    public static BodyEncoder open(Algorithm a, CompressionConfig c) throws IOException {
        return new BodyEncoder(switch (a) {
            case GZIP -> sink -> new LeveledGzip(sink, c.gzipLevel());
            case BR -> sink -> new BrotliOutputStream(sink, new Encoder.Parameters().setQuality(c.brotliLevel()), 16 * 1024);
            case ZSTD -> sink -> {
                ZstdOutputStream z = new ZstdOutputStream(sink, c.zstdLevel());
                z.setCloseFrameOnFlush(false);
                return z;
            };
        });
    }

    /** gzip at a chosen level, each flush a sync flush (what has come so far reaches the client). */
    private static final class LeveledGzip extends GZIPOutputStream {
        LeveledGzip(OutputStream out, int level) throws IOException {
            super(out, 8192, true);
            def.setLevel(level);
            def.setStrategy(Deflater.DEFAULT_STRATEGY);
        }
    }
}
