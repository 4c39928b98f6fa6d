package io.ferry.config;

import java.util.List;

/**
 * {@code compression}: responses the backend sent uncompressed, compressed for clients that accept it
 * (Apache mod_deflate, nginx gzip / brotli, HAProxy compression). A route may override it whole.
 *
 * @param algorithms the encodings offered, in the server's order of preference when a client's q-values tie
 * @param types      content types compressed (without parameters, lower case); a trailing {@code *} matches a prefix
 * @param minLength  a response whose Content-Length is below this is sent as it is
 * @param precompressed static files of a document root: serve {@code file.br} / {@code .zst} / {@code .gz}
 *                   beside the file when present and not older (nginx gzip_static, brotli_static)
 */
public record CompressionConfig(boolean enabled, List<Algorithm> algorithms, List<String> types, long minLength,
                                int gzipLevel, int brotliLevel, int zstdLevel, boolean precompressed) {
    public static final List<String> DEFAULT_TYPES = List.of("text/html", "text/plain", "text/css", "text/xml",
            "text/javascript", "text/markdown", "text/csv", "text/event-stream", "application/javascript",
            "application/json", "application/ld+json", "application/manifest+json", "application/xml",
            "application/rss+xml", "application/atom+xml", "application/xhtml+xml", "application/wasm",
            "image/svg+xml", "image/x-icon", "font/ttf", "font/otf");

    public static final CompressionConfig OFF = new CompressionConfig(false,
            List.of(Algorithm.BR, Algorithm.ZSTD, Algorithm.GZIP), DEFAULT_TYPES, 256, 6, 4, 3, true);

    /** The encodings, by their Accept-Encoding / Content-Encoding names. */
    public enum Algorithm {
        BR("br", ".br"), ZSTD("zstd", ".zst"), GZIP("gzip", ".gz");

        public final String token;
        /** The suffix of a precompressed file (style.css.br). */
        public final String suffix;

        Algorithm(String token, String suffix) {
            this.token = token;
            this.suffix = suffix;
        }
    }
}
