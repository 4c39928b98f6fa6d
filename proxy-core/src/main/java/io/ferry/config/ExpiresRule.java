package io.ferry.config;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How long browsers and caches may keep a static file of a FastCGI document root (nginx's
 * {@code expires} in a {@code location ~}, Apache's mod_expires): the first rule whose {@code path}
 * regex finds a match in the request path sets {@code Cache-Control: public, max-age=…} (with
 * {@code immutable} for fingerprinted assets that never change under their name) and {@code Expires}.
 *
 * @param path      a regex over the normalised request path, e.g. {@code \.(css|js)$}
 * @param maxAge    the lifetime
 * @param immutable the content never changes under this name (a hash in the file name)
 */
public record ExpiresRule(Pattern path, Duration maxAge, boolean immutable) {
    /** The Cache-Control value this rule gives. */
    public String cacheControl() {
        return "public, max-age=" + maxAge.toSeconds() + (immutable ? ", immutable" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpiresRule r && path.pattern().equals(r.path.pattern()) && maxAge.equals(r.maxAge)
                && immutable == r.immutable;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(path.pattern(), maxAge, immutable);
    }
}
