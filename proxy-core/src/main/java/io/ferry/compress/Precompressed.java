package io.ferry.compress;

import io.ferry.config.CompressionConfig;
import io.ferry.config.CompressionConfig.Algorithm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A static file's precompressed sibling (nginx gzip_static / brotli_static): {@code style.css.br},
 * {@code .zst} or {@code .gz} beside {@code style.css}, a regular file not older than it, in an encoding
 * the client takes (q-values, then the configured order). Made at deploy time at the highest level, so a
 * request costs a stat or two and the file still goes out with sendfile.
 */
public final class Precompressed {
    private Precompressed() {
    }

    /** The sibling to send and its encoding. */
    public record Choice(Path file, Algorithm algorithm) {
    }

    /** The sibling for a client's Accept-Encoding, or null: send the file itself. */
    public static Choice pick(Path file, CharSequence acceptEncoding, CompressionConfig c) {
        if (acceptEncoding == null || !c.enabled() || !c.precompressed()) {
            return null;
        }
        String field = acceptEncoding.toString();
        Choice best = null;
        double bestQ = 0;
        long original = -1;
        for (Algorithm a : c.algorithms()) {
            double q = Negotiation.quality(field, a.token);
            if (q <= bestQ) {
                continue;
            }
            Path sibling = file.resolveSibling(file.getFileName() + a.suffix);
            try {
                BasicFileAttributes s = Files.readAttributes(sibling, BasicFileAttributes.class);
                if (original < 0) {
                    original = Files.getLastModifiedTime(file).toMillis();
                }
                if (s.isRegularFile() && s.lastModifiedTime().toMillis() >= original) {
                    best = new Choice(sibling, a);
                    bestQ = q;
                }
            } catch (IOException absent) {
                // no such sibling
            }
        }
        return best;
    }
}
