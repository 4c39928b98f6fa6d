package io.ferry.cache;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which cookies keep a request out of the cache. Two ways, as Varnish users write them:
 * <ul>
 *   <li>{@link #strippingTracking}: the safe default for any application. Cookies on a list of known
 *       analytics and tracking names are removed; a request that still carries any cookie passes with
 *       all its cookies. An application's own cookies are never lost.</li>
 *   <li>{@link #keepingSessions}: for an application whose session cookies are known (Drupal's
 *       {@code SESS…}, WordPress's {@code wordpress_logged_in_…}). A request with one passes; every
 *       other cookie is removed and the request is looked up.</li>
 * </ul>
 */
public final class CookieRules {
    /** Analytics and tracking cookies no server-side application reads. A trailing * matches any suffix. */
    public static final List<String> TRACKING = List.of("_ga", "_ga_*", "_gid", "_gat*", "__utm*", "_gcl_*", "_fbp",
            "_fbc", "_hj*", "_pk_*", "_clck", "_clsk", "_uetsid", "_uetvid", "__gads", "__gpi", "_tt_*", "_ttp",
            "_scid*", "_pin_unauth", "mp_*", "ajs_*", "has_js");

    private final List<String> strip;
    private final Pattern session;

    private CookieRules(List<String> strip, Pattern session) {
        this.strip = strip;
        this.session = session;
    }

    /** Removes the cookies named (exactly, or by prefix with a trailing *); any other cookie passes. */
    public static CookieRules strippingTracking(List<String> names) {
        return new CookieRules(List.copyOf(names), null);
    }

    /** A cookie whose name matches {@code session} passes; all others are removed. */
    public static CookieRules keepingSessions(Pattern session) {
        return new CookieRules(null, session);
    }

    /** The same rules: the same names stripped, or the same session pattern (configs compare equal). */
    @Override
    public boolean equals(Object o) {
        return o instanceof CookieRules r && java.util.Objects.equals(strip, r.strip)
                && java.util.Objects.equals(session == null ? null : session.pattern(),
                        r.session == null ? null : r.session.pattern());
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(strip, session == null ? null : session.pattern());
    }

    /**
     * The cookies a request may be looked up with: true when none that matters is left (the Cookie
     * header is then removed), false when the request must pass (its Cookie header untouched).
     *
     * @param cookie the Cookie header (several joined with "; "), not empty
     */
    boolean allowsLookup(String cookie) {
        int start = 0;
        int len = cookie.length();
        while (start < len) {
            int semi = cookie.indexOf(';', start);
            int end = semi < 0 ? len : semi;
            int eq = cookie.indexOf('=', start);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            String name = cookie.substring(start, nameEnd).trim();
            if (!name.isEmpty() && mustPass(name)) {
                return false;
            }
            start = end + 1;
        }
        return true;
    }

    private boolean mustPass(String name) {
        if (session != null) {
            return session.matcher(name).find();
        }
        for (String s : strip) {
            boolean prefix = s.endsWith("*");
            if (prefix ? name.startsWith(s.substring(0, s.length() - 1)) : name.equals(s)) {
                return false;
            }
        }
        return true;
    }

    /** What the rules say, for logs and docs. */
    @Override
    public String toString() {
        return session != null ? "pass on session cookies " + session : "strip tracking cookies " + strip;
    }
}
