package io.ferry.fastcgi;

import io.ferry.config.FastCgiConfig;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;

/**
 * Maps a request path onto the document root: a static file, a script with its SCRIPT_NAME, PATH_INFO
 * and QUERY_STRING, or a refusal. Paths are percent-decoded once and then checked: no NUL, no encoded
 * slash, no {@code .} or {@code ..} segment, no dotfile (except {@code /.well-known/}), and the real
 * path must stay inside the root unless symlinks outside it are allowed.
 *
 * <p>This does file-system lookups (stat, realpath) on the calling thread. They hit the kernel's
 * dentry cache and take microseconds, as in nginx, which does the same on its event loop.
 */
public final class FastCgiSite {
    /** The outcome of resolving one request path. */
    public sealed interface Resolution permits StaticFile, Script, Refused {
    }

    /** Serve this file from disk. */
    public record StaticFile(Path file) implements Resolution {
    }

    /**
     * Run this script.
     *
     * @param scriptName the script's path under the root (SCRIPT_NAME)
     * @param pathInfo   the rest of the path after the script, or ""
     * @param query      the query string to pass (QUERY_STRING)
     */
    public record Script(String scriptName, String pathInfo, String query) implements Resolution {
    }

    /** Answer with this status (400, 403 or 404). */
    public record Refused(int status, String reason) implements Resolution {
    }

    private final FastCgiConfig config;
    private final Path root;

    public FastCgiSite(FastCgiConfig config) {
        this.config = config;
        this.root = config.documentRoot();
    }

    public FastCgiConfig config() {
        return config;
    }

    public Path root() {
        return root;
    }

    public boolean isScript(String path) {
        return config.scriptPattern().matcher(path).find();
    }

    /**
     * @param rawPath the request path as received (percent-encoded, no query)
     * @param query   the query string as received, without '?', or "" when none
     */
    public Resolution resolve(String rawPath, String query) {
        String path = decode(rawPath);
        if (path == null) {
            return new Refused(400, "malformed percent-encoding in path");
        }
        Refused unsafe = checkSegments(rawPath, path);
        if (unsafe != null) {
            return unsafe;
        }
        Script withInfo = scriptWithPathInfo(path, query);
        if (withInfo != null) {
            return withInfo;
        }
        for (int i = 0; i < config.tryFiles().size(); i++) {
            String entry = config.tryFiles().get(i);
            boolean last = i == config.tryFiles().size() - 1;
            Resolution r = last && !entry.startsWith("$uri") ? fallback(entry, path, query) : tryEntry(entry, path, query);
            if (r != null) {
                return r;
            }
        }
        return new Refused(404, "no file for " + path);
    }

    private Resolution tryEntry(String entry, String path, String query) {
        if (entry.equals("$uri")) {
            return fileAt(path, query);
        }
        if (entry.equals("$uri/")) {
            Path dir = root.resolve(path.substring(1));
            if (!Files.isDirectory(dir)) {
                return null;
            }
            String indexPath = (path.endsWith("/") ? path : path + "/") + config.index();
            return fileAt(indexPath, query);
        }
        return null;
    }

    /** The last try-files entry: {@code =404} or a URI to use instead, such as {@code /index.php?$args}. */
    private Resolution fallback(String entry, String path, String query) {
        if (entry.startsWith("=")) {
            int status = Integer.parseInt(entry.substring(1));
            return new Refused(status, "try-files ended in " + entry + " for " + path);
        }
        int q = entry.indexOf('?');
        String target = q < 0 ? entry : entry.substring(0, q);
        String targetQuery = q < 0 ? query
                : entry.substring(q + 1).replace("$args", query).replace("$query_string", query).replace("$uri", path);
        Resolution r = fileAt(target, targetQuery);
        return r != null ? r : new Refused(404, "fallback " + target + " does not exist");
    }

    /** A regular file at {@code path}: a script or a static file; null when none exists. */
    private Resolution fileAt(String path, String query) {
        Path file = root.resolve(path.substring(1));
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Refused outside = checkRealPath(file);
        if (outside != null) {
            return outside;
        }
        return isScript(path) ? new Script(path, "", query) : new StaticFile(file);
    }

    /** {@code /index.php/foo/bar}: the first segment boundary where a script file ends. */
    private Script scriptWithPathInfo(String path, String query) {
        int from = 1;
        while (true) {
            int slash = path.indexOf('/', from);
            if (slash < 0) {
                return null;
            }
            String prefix = path.substring(0, slash);
            if (isScript(prefix)) {
                Path file = root.resolve(prefix.substring(1));
                if (Files.isRegularFile(file) && checkRealPath(file) == null) {
                    return new Script(prefix, path.substring(slash), query);
                }
            }
            from = slash + 1;
        }
    }

    private Refused checkRealPath(Path file) {
        if (config.symlinksOutsideRoot()) {
            return null;
        }
        try {
            if (!file.toRealPath().startsWith(root)) {
                return new Refused(403, "real path leaves the document root");
            }
        } catch (IOException e) {
            return new Refused(404, "cannot resolve " + file);
        }
        return null;
    }

    private static Refused checkSegments(String rawPath, String path) {
        if (!path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return new Refused(400, "invalid path");
        }
        String lowerRaw = rawPath.toLowerCase();
        if (lowerRaw.contains("%2f") || lowerRaw.contains("%5c")) {
            return new Refused(404, "encoded slash in path");
        }
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end);
            if (segment.equals(".") || segment.equals("..")) {
                return new Refused(403, "dot segment in path");
            }
            if (segment.startsWith(".") && !segment.equals(".well-known")) {
                return new Refused(403, "dotfile");
            }
            start = end + 1;
        }
        return null;
    }

    /** Percent-decodes a path as UTF-8; null when malformed. '+' stays '+' (it is not a space in paths). */
    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.put((byte) (hi * 16 + lo));
                i += 2;
            } else if (c < 0x80) {
                bytes.put((byte) c);
            } else {
                return null;
            }
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
