package io.ferry.testing;

import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Bodies decoded by the reference decoders (the JDK's gzip, brotli4j's, zstd-jni's), for comparing bytes. */
public final class ContentCodings {
    private ContentCodings() {
    }

    public static byte[] decode(String encoding, byte[] body) throws Exception {
        InputStream in = new ByteArrayInputStream(body);
        try (InputStream d = switch (encoding) {
            case "gzip" -> new GZIPInputStream(in);
            case "br" -> new BrotliInputStream(in);
            case "zstd" -> new ZstdInputStream(in);
            default -> throw new IllegalArgumentException(encoding);
        }) {
            return d.readAllBytes();
        }
    }
}
