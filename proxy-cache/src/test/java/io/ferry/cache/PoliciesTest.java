package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The freshness table and the storing and request rules. */
class PoliciesTest {
    private final CacheSettings settings = new CacheSettings(1 << 20, 1000, Duration.ofSeconds(120),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
            Duration.ofHours(1));
    private final StorePolicy store = new StorePolicy(settings);
    /** A fixed arrival time, so no result depends on when the suite runs. */
    private static final long ARRIVAL = HttpDates.parse("Mon, 23 Nov 2026 20:00:01 GMT");

    @Test
    void freshnessPrefersSMaxAgeThenMaxAgeThenExpiresThenDefault() {
        String date = "Mon, 23 Nov 2026 20:00:00 GMT";
        String expires = "Mon, 23 Nov 2026 20:05:00 GMT";
        assertEquals(30_000, Freshness.lifetimeMillis(200, CacheControl.parse("max-age=10, s-maxage=30"), expires, date, 120_000, ARRIVAL));
        assertEquals(10_000, Freshness.lifetimeMillis(200, CacheControl.parse("max-age=10"), expires, date, 120_000, ARRIVAL));
        assertEquals(300_000, Freshness.lifetimeMillis(200, CacheControl.NONE, expires, date, 120_000, ARRIVAL));
        assertEquals(0, Freshness.lifetimeMillis(200, CacheControl.NONE, "0", date, 120_000, ARRIVAL), "invalid Expires: stale");
        assertEquals(120_000, Freshness.lifetimeMillis(404, CacheControl.NONE, null, null, 120_000, ARRIVAL));
        assertEquals(-1, Freshness.lifetimeMillis(302, CacheControl.NONE, null, null, 120_000, ARRIVAL),
                "no heuristic freshness for 302");
        assertEquals(-1, Freshness.lifetimeMillis(500, CacheControl.NONE, null, null, 120_000, ARRIVAL));
        assertEquals(5_000, Freshness.ageMillis("5"));
        assertEquals(299_000, Freshness.lifetimeMillis(200, CacheControl.NONE, expires, null, 120_000, ARRIVAL),
                "no Date: Expires counts from the arrival time");
    }

    @Test
    void storingRules() {
        assertFalse(store.decide(200, CacheControl.parse("no-store"), false, null, null, null, 10, false, 0).store());
        assertFalse(store.decide(200, CacheControl.parse("private, max-age=60"), false, null, null, null, 10, false, 0).store());
        assertFalse(store.decide(200, CacheControl.parse("max-age=60"), true, null, null, null, 10, false, 0).store(),
                "Set-Cookie");
        assertFalse(store.decide(200, CacheControl.parse("max-age=60"), false, "*", null, null, 10, false, 0).store());
        assertFalse(store.decide(200, CacheControl.parse("max-age=60"), false, null, null, null, 5000, false, 0).store(),
                "over max-object-size");
        assertFalse(store.decide(500, CacheControl.NONE, false, null, null, null, 10, false, 0).store());
        assertFalse(store.decide(200, CacheControl.parse("max-age=0"), false, null, null, null, 10, false, 0).store(),
                "zero lifetime, nothing to revalidate");
        StorePolicy.Decision noCache = store.decide(200, CacheControl.parse("no-cache"), false, null, null, null, 10, true, 0);
        assertTrue(noCache.store(), "no-cache with validators: stored, always revalidated");
        assertEquals(0, noCache.ttl());
        StorePolicy.Decision swr = store.decide(200, CacheControl.parse("max-age=60, stale-while-revalidate=30, stale-if-error=300"),
                false, null, null, null, 10, false, 0);
        assertEquals(60_000, swr.ttl());
        assertEquals(30_000, swr.grace());
        assertEquals(300_000, swr.staleIfError());
        StorePolicy.Decision must = store.decide(200, CacheControl.parse("max-age=60, must-revalidate"), false, null, null,
                null, 10, false, 0);
        assertEquals(0, must.grace(), "must-revalidate: no stale serving");
        assertEquals(0, must.staleIfError());
        assertEquals(3_600_000, store.decide(200, CacheControl.parse("max-age=5"), false, null, null, null, 10, false,
                3_600_000).ttl(), "static minimum TTL");
        assertEquals(120_000, store.decide(200, CacheControl.NONE, false, null, null, null, 10, false, 0).ttl(),
                "default TTL");
    }

    @Test
    void drupalRequestRules() {
        RequestPolicy p = new RequestPolicy(Set.of("css", "js", "png"), AnonymousPreset.DRUPAL.cookieRules(null, List.of()),
                AnonymousPreset.DRUPAL.passPaths(), true);
        assertTrue(p.decide("GET", "/node/1", false, null).lookup());
        assertFalse(p.decide("POST", "/node/1", false, null).lookup());
        RequestPolicy.Decision auth = p.decide("GET", "/node/1", true, null);
        assertTrue(auth.lookup() && auth.authorization(), "Authorization: shared responses only (RFC 9111 §3.5)");
        assertFalse(p.decide("GET", "/admin/x", true, null).lookup(), "pass paths pass with Authorization too");
        assertFalse(p.decide("GET", "/node/1", true, "SESS1=x").lookup(), "and session cookies");
        assertFalse(p.decide("GET", "/node/1", false, "SESS0a1b=x").lookup(), "session cookie passes");
        assertFalse(p.decide("GET", "/node/1", false, "_ga=1; SSESSff=x").lookup(), "https session cookie passes");
        RequestPolicy.Decision anon = p.decide("GET", "/node/1", false, "_ga=GA1; has_js=1; Drupal.toolbar=1");
        assertTrue(anon.lookup());
        assertNull(anon.cookieToForward(), "Drupal's preset strips every cookie but its sessions");
        assertFalse(p.decide("GET", "/node/1", false, "NO_CACHE=1").lookup(), "Drupal's NO_CACHE passes");
        RequestPolicy.Decision asset = p.decide("GET", "/sites/default/files/a.PNG", false, "SESS0a1b=x");
        assertTrue(asset.lookup() && asset.isStatic(), "static assets are looked up even with a session");
        assertFalse(p.decide("GET", "/admin/content", false, null).lookup());
        assertFalse(p.decide("GET", "/user/login", false, null).lookup());
        assertFalse(p.isStatic("/folder.css/page"));
        RequestPolicy noAnon = new RequestPolicy(Set.of(), CookieRules.keepingSessions(Pattern.compile("^SESS")),
                List.of(), false);
        assertFalse(noAnon.decide("GET", "/", false, "_ga=1").lookup(), "with anonymous off any cookie passes");
    }

    /** The default is safe for any application: only known tracking cookies go, anything else passes. */
    @Test
    void defaultRulesStripOnlyTrackingCookiesAndPassAnyOther() {
        RequestPolicy p = new RequestPolicy(Set.of("css"), AnonymousPreset.DEFAULT.cookieRules(null, CookieRules.TRACKING),
                AnonymousPreset.DEFAULT.passPaths(), true);
        RequestPolicy.Decision tracking = p.decide("GET", "/", false, "_ga=GA1.2; _ga_ABC=1; _gid=2; __utma=3; _hjSessionUser_1=4");
        assertTrue(tracking.lookup());
        assertNull(tracking.cookieToForward());
        for (String app : new String[] {"PHPSESSID=abc", "wordpress_logged_in_123=u", "laravel_session=x",
                "_ga=1; SESSabc=x", "wp-settings-1=a", "cart=3"}) {
            RequestPolicy.Decision d = p.decide("GET", "/", false, app);
            assertFalse(d.lookup(), app + " passes");
            assertEquals(app, d.cookieToForward(), "and keeps every cookie it came with: " + app);
        }
    }

    @Test
    void wordpressPresetPassesLoggedInUsersAndItsAdminPaths() {
        RequestPolicy p = new RequestPolicy(Set.of("css"), AnonymousPreset.WORDPRESS.cookieRules(null, List.of()),
                AnonymousPreset.WORDPRESS.passPaths(), true);
        assertFalse(p.decide("GET", "/", false, "wordpress_logged_in_abc=admin%7C1; wp-settings-1=x").lookup());
        assertFalse(p.decide("GET", "/", false, "comment_author_abc=Jo").lookup());
        assertFalse(p.decide("GET", "/wp-admin/", false, null).lookup());
        assertFalse(p.decide("GET", "/wp-login.php", false, null).lookup());
        RequestPolicy.Decision visitor = p.decide("GET", "/2026/11/hello/", false, "wordpress_test_cookie=WP; _ga=1");
        assertTrue(visitor.lookup());
        assertNull(visitor.cookieToForward());
    }

    @Test
    void httpDatesAreReadStrictlyInTheirThreeForms() {
        long t = HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT");
        assertEquals(784111777000L, t, "IMF-fixdate");
        assertEquals(t, HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT", ARRIVAL), "RFC 850");
        assertEquals(t, HttpDates.parse("Sun Nov  6 08:49:37 1994"), "asctime");
        assertEquals(-1, HttpDates.parse("Sun, 06 Nov 1994 8:49:37 GMT"), "one-digit hour");
        assertEquals(-1, HttpDates.parse("Sun, 06 Nov 1994 08:49:37 CET"), "zone other than GMT");
        assertEquals(-1, HttpDates.parse("Sun, 31 Feb 1994 08:49:37 GMT"), "no such day");
        assertEquals(-1, HttpDates.parse("0"));
    }

    @Test
    void ageAndHeuristicFollowRfc9111() {
        assertEquals(5_000, Freshness.ageMillis(List.of("5, 9")), "§5.1: the first member");
        assertEquals(0, Freshness.ageMillis(List.of("-5")), "§5.1: invalid is ignored");
        assertEquals(0, Freshness.ageMillis(List.of("+5")));
        assertEquals(Freshness.MAX_DELTA_MILLIS, Freshness.ageMillis(List.of("99999999999999999999999")), "§1.2.2");
        long arrival = HttpDates.parse("Mon, 23 Nov 2026 20:10:00 GMT");
        assertEquals(600_000, Freshness.initialAgeMillis(List.of("2"), "Mon, 23 Nov 2026 20:00:00 GMT", arrival - 1000,
                arrival), "§4.2.3: the apparent age wins when larger");
        assertEquals(3_000, Freshness.initialAgeMillis(List.of("2"), null, arrival - 1000, arrival),
                "Age plus the request's transit");
        Freshness.Heuristic h = new Freshness.Heuristic(0.1, 3_600_000);
        assertEquals(360_000, Freshness.lifetimeMillis(200, CacheControl.NONE, List.of(),
                "Mon, 23 Nov 2026 20:00:00 GMT", "Mon, 23 Nov 2026 19:00:00 GMT", 120_000, h, ARRIVAL), "10 % of an hour");
        assertEquals(3_600_000, Freshness.lifetimeMillis(200, CacheControl.NONE, List.of(),
                "Mon, 23 Nov 2026 20:00:00 GMT", "Mon, 23 Oct 2026 19:00:00 GMT", 120_000, h, ARRIVAL), "capped");
        assertEquals(0, Freshness.lifetimeMillis(200, CacheControl.NONE, List.of("Mon, 23 Nov 2026 20:05:00 GMT",
                "Mon, 23 Nov 2026 20:05:00 GMT"), "Mon, 23 Nov 2026 20:00:00 GMT", null, 120_000, h, ARRIVAL),
                "§5.3: several Expires fields are invalid");
    }

    @Test
    void mediawikiPresetPassesSessionsAndStripsTheCookiesItsScriptsSetForReaders() {
        AnonymousPreset mw = AnonymousPreset.MEDIAWIKI;
        RequestPolicy p = new RequestPolicy(Set.of("css"), mw.cookieRules(null, List.of()), mw.passPaths(), true);
        RequestPolicy.Decision reader = p.decide("GET", "/wiki/Main_Page", false,
                "my_wikimwuser-sessionId=abc123; my_wikihidetoc=0; mwuser-sessionId=x1; _ga=GA1.2.3");
        assertTrue(reader.lookup(), "an anonymous reader whose browser ran the wiki's scripts gets hits");
        assertNull(reader.cookieToForward());
        for (String session : new String[] {"my_wiki_session=s3cr3t", "my_wikiToken=t", "my_wikiUserID=7",
                "my_wikiUserName=Ann", "my_wiki_BPsession=b"}) {
            assertFalse(p.decide("GET", "/wiki/Main_Page", false, "my_wikihidetoc=0; " + session).lookup(), session);
        }
        assertFalse(p.decide("GET", "/wiki/Special:RecentChanges", false, null).lookup(), "special pages pass");
    }

    @Test
    void drupal7AndWooCommerceCookiesPass() {
        RequestPolicy drupal = new RequestPolicy(Set.of(), AnonymousPreset.DRUPAL.cookieRules(null, List.of()),
                AnonymousPreset.DRUPAL.passPaths(), true);
        assertFalse(drupal.decide("GET", "/node/1", false, "SESS0123456789abcdef0123456789abcdef=x").lookup(), "Drupal 7");
        assertFalse(drupal.decide("GET", "/node/1", false, "SSESS0123456789abcdef0123456789abcdef=x").lookup(), "https");
        assertTrue(drupal.decide("GET", "/node/1", false, "has_js=1; Drupal.visitor.name=x").lookup());
        RequestPolicy wp = new RequestPolicy(Set.of(), AnonymousPreset.WORDPRESS.cookieRules(null, List.of()),
                AnonymousPreset.WORDPRESS.passPaths(), true);
        for (String cart : new String[] {"woocommerce_items_in_cart=1", "woocommerce_cart_hash=ab12",
                "wp_woocommerce_session_0123456789abcdef=1%7C%7C2"}) {
            assertFalse(wp.decide("GET", "/shop/", false, cart).lookup(), cart + " keeps the cart");
        }
    }
}
