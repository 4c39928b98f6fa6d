package io.ferry.server;

import io.ferry.cache.CacheSnapshot;
import io.ferry.config.FerryConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.handover.HandoverClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache on disk: written at a graceful stop (cache.persist-file) or for a successor (an upgrade), read at the
 * next start. A torn or foreign file is logged and ignored; a read file is deleted, so a crash later never brings
 * an old cache back.
 */
final class CacheFiles {
    private static final Logger log = LoggerFactory.getLogger(CacheFiles.class);

    private CacheFiles() {
    }

    /** The predecessor's cache written where this process will read it: persist-file, or a file of its own. */
    static Path fromPredecessor(FerryConfig config, HandoverClient predecessor)
            throws java.io.IOException {
        if (!config.cache().enabled()) {
            return null;
        }
        String persist = config.cache().persistFile();
        Path file = persist.isEmpty() ? Files.createTempFile("ferry-upgrade-", ".cache") : Path.of(persist);
        try {
            if (predecessor.cacheTo(file)) {
                return file;
            }
        } catch (java.io.IOException e) {
            log.warn("upgrade: starting with an empty cache: {}", e.getMessage());
        }
        Files.deleteIfExists(file);
        return null;
    }

    /**
     * cache.persist-file: what the last graceful stop wrote is read back, then the file is deleted (a crash
     * later must not bring this old cache back). A torn or foreign file is logged and ignored.
     */
    static void load(ProxyRuntime r, Path from) {
        String file = from != null ? from.toString() : r.config.cache().persistFile();
        if (r.cache == null || file.isEmpty() || !Files.exists(Path.of(file))) {
            return;
        }
        try {
            CacheSnapshot.Result read = CacheSnapshot.read(r.cache.cache, Path.of(file));
            log.info("cache: {} objects ({} bytes) read from {} in {} ms", read.objects(), read.bytes(), file, read.millis());
        } catch (java.io.IOException e) {
            log.warn("cache: {} not used ({}); starting with an empty cache", file, e.getMessage());
        }
        try {
            Files.deleteIfExists(Path.of(file));
        } catch (java.io.IOException e) {
            log.warn("cache: cannot delete {} after reading it: {}", file, e.getMessage());
        }
    }

    /** cache.persist-file: the stored objects written at a graceful stop, for the next start. */
    static void save(ProxyRuntime r) {
        String file = r.config.cache().persistFile();
        if (file.isEmpty()) {
            return;
        }
        try {
            CacheSnapshot.Result written = CacheSnapshot.write(r.cache.cache, Path.of(file));
            log.info("cache: {} objects ({} bytes) written to {} in {} ms", written.objects(), written.bytes(), file,
                    written.millis());
        } catch (java.io.IOException | RuntimeException e) {
            log.error("cache: writing {} failed: {}", file, e.toString());
        }
    }

    /** An upgrade: the cache written to {@code file} while this process goes on serving; null without a cache. */
    static String forSuccessor(ProxyRuntime r, Path file) throws java.io.IOException {
        if (r.cache == null) {
            return null;
        }
        CacheSnapshot.Result written = CacheSnapshot.write(r.cache.cache, file);
        log.info("upgrade: cache: {} objects ({} bytes) written to {} in {} ms for the successor", written.objects(),
                written.bytes(), file, written.millis());
        return written.objects() + " " + written.bytes() + " " + written.millis();
    }
}
