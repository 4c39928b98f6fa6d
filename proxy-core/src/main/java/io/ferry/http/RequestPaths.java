package io.ferry.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The path that routing and the cache's path rules match: dot segments removed (RFC 3986 §5.2.4,
 * with "%2e" read as "."), empty segments merged. A backend resolves "/static/../admin" to "/admin",
 * so Ferry must see it that way too, or a route or pass-path for "/admin" is sidestepped. The
 * request is still forwarded as the client sent it, as nginx and HAProxy do.
 */
public final class RequestPaths {
    private RequestPaths() {
    }

    /** The normalised form of an origin-form path (no query); the argument itself when already normal. */
    public static String normalize(String path) {
        if (!needsWork(path)) {
            return path;
        }
        List<String> kept = new ArrayList<>();
        boolean trailingSlash = false;
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            String segment = path.substring(start, end);
            boolean last = end == path.length();
            if (isDot(segment)) {
                trailingSlash = last;
            } else if (isDotDot(segment)) {
                if (!kept.isEmpty()) {
                    kept.remove(kept.size() - 1);
                }
                trailingSlash = last;
            } else if (segment.isEmpty()) {
                trailingSlash = last;
            } else {
                kept.add(segment);
                trailingSlash = false;
            }
            start = end + 1;
        }
        StringBuilder out = new StringBuilder(path.length());
        for (String segment : kept) {
            out.append('/').append(segment);
        }
        if (trailingSlash || kept.isEmpty()) {
            out.append('/');
        }
        return out.toString();
    }

    /** One scan, no allocation: true when some segment is empty, "." or ".." (maybe encoded). */
    private static boolean needsWork(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            return false; // "*" or an absolute-form target: nothing to normalise here
        }
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            int length = end - start;
            boolean candidate = length == 0 ? end < path.length() : path.charAt(start) == '.' || path.charAt(start) == '%';
            if (candidate && (length == 0 || dotKind(path, start, length) != 0)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean isDot(String segment) {
        return dotKind(segment, 0, segment.length()) == 1;
    }

    private static boolean isDotDot(String segment) {
        return dotKind(segment, 0, segment.length()) == 2;
    }

    /** 1 for ".", 2 for "..", each dot possibly written "%2e"; 0 for anything else. */
    private static int dotKind(String s, int from, int length) {
        int dots = 0;
        int i = from;
        int end = from + length;
        while (i < end) {
            if (s.charAt(i) == '.') {
                i++;
            } else if (s.regionMatches(true, i, "%2e", 0, 3) && i + 3 <= end) {
                i += 3;
            } else {
                return 0;
            }
            if (++dots > 2) {
                return 0;
            }
        }
        return dots;
    }
}
