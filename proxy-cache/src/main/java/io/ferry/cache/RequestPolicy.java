package io.ferry.cache;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which requests may be answered from the cache, tuned for PHP sites: Varnish's builtin rules plus
 * cookie handling. Static assets (by extension) drop their cookies and are looked up; other requests
 * are looked up when anonymous — no Authorization, and no cookie that {@link CookieRules} says matters
 * (those that do not are stripped first); pass paths such as /wp-admin always pass.
 */
public final class RequestPolicy {
    /** The verdict on a request. */
    public record Decision(boolean lookup, boolean isStatic, String reason, String cookieToForward,
                           boolean authorization) {
        Decision(boolean lookup, boolean isStatic, String reason, String cookieToForward) {
            this(lookup, isStatic, reason, cookieToForward, false);
        }
    }

    private final Set<String> staticExtensions;
    private final CookieRules cookies;
    private final List<String> passPaths;
    private final boolean anonymous;

    public RequestPolicy(Set<String> staticExtensions, CookieRules cookies, List<String> passPaths, boolean anonymous) {
        this.staticExtensions = Set.copyOf(staticExtensions);
        this.cookies = cookies;
        this.passPaths = List.copyOf(passPaths);
        this.anonymous = anonymous;
    }

    /**
     * @param path   request path without the query
     * @param cookie the Cookie header (several joined with "; "), or null
     */
    public Decision decide(String method, String path, boolean hasAuthorization, String cookie) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return new Decision(false, false, "method " + method, cookie);
        }
        if (hasAuthorization) {
            return authorized(path, cookie);
        }
        if (isStatic(path)) {
            return new Decision(true, true, "static asset", null);
        }
        for (String p : passPaths) {
            if (path.startsWith(p)) {
                return new Decision(false, false, "pass path " + p, cookie);
            }
        }
        if (cookie == null || cookie.isEmpty()) {
            return new Decision(true, false, "no cookie", null);
        }
        if (!anonymous) {
            return new Decision(false, false, "Cookie", cookie);
        }
        if (!cookies.allowsLookup(cookie)) {
            return new Decision(false, false, "cookie", cookie);
        }
        return new Decision(true, false, "anonymous (tracking cookies stripped)", null);
    }

    /**
     * RFC 9111 §3.5: a request with Authorization may be answered, and its response stored, only where
     * the response says public, s-maxage or must-revalidate — checked by the caller on the stored and the
     * fetched response. Its cookies are left as they are; pass paths and cookie rules still pass it.
     */
    private Decision authorized(String path, String cookie) {
        for (String p : passPaths) {
            if (path.startsWith(p)) {
                return new Decision(false, false, "pass path " + p, cookie);
            }
        }
        if (cookie != null && !cookie.isEmpty() && (!anonymous || !cookies.allowsLookup(cookie))) {
            return new Decision(false, false, "cookie", cookie);
        }
        return new Decision(true, false, "Authorization: shared responses only", cookie, true);
    }

    /** Whether a response may be shared with requests that carry Authorization (RFC 9111 §3.5). */
    public static boolean sharedWithAuthorization(CacheControl cc) {
        return cc.isPublic() || cc.sMaxAge() >= 0 || cc.mustRevalidate();
    }

    public boolean isStatic(String path) {
        int slash = path.lastIndexOf('/');
        int dot = path.lastIndexOf('.');
        if (dot <= slash) {
            return false;
        }
        return staticExtensions.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
