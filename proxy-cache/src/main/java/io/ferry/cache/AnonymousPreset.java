package io.ferry.cache;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Ready-made anonymous-traffic rules for PHP applications: which cookies mean a logged-in user and
 * which paths always pass. {@link #DEFAULT} fits any application; the named ones cache more for the
 * application they know (Varnish's usual recipes for it).
 */
public enum AnonymousPreset {
    /** Strip tracking cookies only; any other cookie passes. No pass paths needed. */
    DEFAULT(null, List.of()),
    /** Drupal: SESS/SSESS session, NO_CACHE and persistent-login cookies pass; admin and maintenance paths pass. */
    DRUPAL(Pattern.compile("^(S?SESS[0-9a-f]+|NO_CACHE$|PERSISTENT_LOGIN_)"),
            List.of("/admin", "/user", "/update.php", "/cron.php", "/install.php", "/batch")),
    /** WordPress: login (and its admin-path auth cookie), password-protected post, commenter and WooCommerce cookies pass. */
    WORDPRESS(Pattern.compile("^(wordpress_logged_in_|wordpress_sec_|wordpress_[0-9a-f]{32}$|wp-postpass_"
            + "|comment_author_|woocommerce_|wp_woocommerce_session_)"),
            List.of("/wp-admin", "/wp-login.php", "/wp-cron.php", "/xmlrpc.php", "/wp-comments-post.php")),
    /**
     * MediaWiki: its session, token and login cookies ({@code <wiki>_session}, {@code <wiki>Token},
     * {@code <wiki>UserID}, {@code <wiki>UserName}, BotPasswords' {@code _BPsession}) pass, as its Varnish
     * recipe's {@code Cookie ~ "([sS]ession|Token)="} does; the cookies its scripts set for anonymous
     * readers ({@code <wiki>hidetoc}, {@code <wiki>mwuser-sessionId}, {@code mwuser-sessionId}) and tracking
     * cookies are stripped, so anonymous readers get hits. Special pages pass.
     */
    MEDIAWIKI(Pattern.compile("([sS]ession|Token|UserID|UserName)$"), List.of("/wiki/Special:"));

    private final Pattern sessionCookie;
    private final List<String> passPaths;

    AnonymousPreset(Pattern sessionCookie, List<String> passPaths) {
        this.sessionCookie = sessionCookie;
        this.passPaths = passPaths;
    }

    /** The preset's cookie rules; {@code sessionCookie} (when set) replaces the preset's pattern. */
    public CookieRules cookieRules(Pattern sessionCookie, List<String> stripCookies) {
        Pattern session = sessionCookie != null ? sessionCookie : this.sessionCookie;
        return session != null ? CookieRules.keepingSessions(session) : CookieRules.strippingTracking(stripCookies);
    }

    public List<String> passPaths() {
        return passPaths;
    }

    /** The preset named in config (default, drupal, wordpress), or null. */
    public static AnonymousPreset parse(String name) {
        for (AnonymousPreset p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        return null;
    }
}
