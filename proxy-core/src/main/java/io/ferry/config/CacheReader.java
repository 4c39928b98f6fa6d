package io.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code cache} and {@code esi} sections: what is stored, for how long, and how pages are assembled. */
final class CacheReader {
    private CacheReader() {
    }

    static CacheConfig cache(Section s) {
        boolean enabled = s.bool("enabled", false);
        long size = s.bytes("size", 256L * 1024 * 1024, 1024 * 1024, 1L << 40);
        long maxObject = s.bytes("max-object-size", 8L * 1024 * 1024, 1024, 1L << 31);
        Duration ttl = s.durationOrZero("default-ttl", Duration.ofSeconds(120));
        Duration grace = s.durationOrZero("grace", Duration.ofSeconds(10));
        Duration keep = s.durationOrZero("keep", Duration.ZERO);
        Duration staleIfError = s.durationOrZero("stale-if-error", Duration.ZERO);
        Duration hitForMiss = s.duration("hit-for-miss", Duration.ofSeconds(120));
        Duration wait = s.duration("wait-timeout", Duration.ofSeconds(10));
        String header = s.string("header", "X-Cache");
        Section st = s.section("static");
        List<String> exts = st.stringList("extensions", List.of("css", "js", "mjs", "png", "jpg", "jpeg", "gif",
                "svg", "ico", "webp", "avif", "woff", "woff2", "ttf", "eot", "otf", "pdf", "map", "txt", "xml"));
        Set<String> extensions = new HashSet<>();
        for (String e : exts) {
            extensions.add(e.toLowerCase(java.util.Locale.ROOT).replaceFirst("^\\.", ""));
        }
        Duration staticMin = st.durationOrZero("min-ttl", Duration.ofHours(1));
        st.rejectUnknownKeys();
        Section an = s.section("anonymous");
        boolean anonymous = an.bool("enabled", true);
        String presetName = an.string("preset", "default");
        io.ferry.cache.AnonymousPreset preset = io.ferry.cache.AnonymousPreset.parse(presetName);
        if (preset == null) {
            throw an.error("preset", "must be one of default, drupal, wordpress, mediawiki; got \"" + presetName + '"');
        }
        java.util.regex.Pattern session = an.has("session-cookie") ? an.regex("session-cookie", "") : null;
        List<String> strip = an.stringList("strip-cookies", io.ferry.cache.CookieRules.TRACKING);
        for (String name : strip) {
            if (!name.matches("[!#$%&'+.^_`|~0-9A-Za-z-]+\\*?")) {
                throw an.error("strip-cookies", "entries are cookie names, a trailing * for any suffix; got \""
                        + name + '"');
            }
        }
        io.ferry.cache.CookieRules cookie = preset.cookieRules(session, strip);
        List<String> pass = an.stringList("pass-paths", preset.passPaths());
        an.rejectUnknownKeys();
        Section pg = s.section("purge");
        List<String> allow = pg.networks("allow", List.of("127.0.0.0/8", "::1/128"));
        pg.rejectUnknownKeys();
        boolean exposeTags = s.bool("expose-tags", false);
        Section h = s.section("heuristic");
        double fraction = h.has("fraction") ? BackendReader.share(h, "fraction") : 0.1;
        Duration heuristicMax = h.durationOrZero("max", Duration.ofDays(1));
        h.rejectUnknownKeys();
        String targeted = s.string("targeted-field", "Ferry-Cache-Control");
        boolean honourNoCache = s.bool("honour-client-no-cache", false);
        boolean varyNormalize = s.bool("vary-normalize", true);
        String persist = s.string("persist-file", "");
        if (!persist.isEmpty()) {
            Path dir = Path.of(persist).toAbsolutePath().getParent();
            if (dir == null || !java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
                throw s.error("persist-file", "its directory must exist and be writable: " + dir);
            }
        }
        if (!targeted.isEmpty() && !targeted.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw s.error("targeted-field", "must be a header field name such as Ferry-Cache-Control; got \""
                    + targeted + '"');
        }
        s.rejectUnknownKeys();
        return new CacheConfig(enabled, size, maxObject, ttl, grace, keep, staleIfError, hitForMiss, wait, header,
                Set.copyOf(extensions), staticMin, anonymous, cookie, List.copyOf(pass), List.copyOf(allow), exposeTags,
                fraction, heuristicMax, targeted, honourNoCache, varyNormalize, persist);
    }

    /** {@code esi { surrogate-control, max-depth, max-includes, max-size }}. */
    static EsiConfig esi(Section s) {
        EsiConfig d = EsiConfig.DEFAULTS;
        boolean surrogateControl = s.bool("surrogate-control", d.surrogateControl());
        int maxDepth = s.integer("max-depth", d.maxDepth(), 1, 20);
        int maxIncludes = s.integer("max-includes", d.maxIncludes(), 1, 10_000);
        long maxSize = s.bytes("max-size", d.maxSize(), 1024, 1L << 30);
        s.rejectUnknownKeys();
        return new EsiConfig(surrogateControl, maxDepth, maxIncludes, maxSize);
    }
}
