package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.RawOrigin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RFC 9111 rule by rule, through Ferry against a real origin that counts what reaches it, with the
 * strict settings a reader of the RFC checks with: grace 0s, keep 0s, default-ttl 0s. Each test names
 * its section.
 */
class Rfc9111Test {
    /** path → the raw response the origin sends (head and body). */
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private RawOrigin origin;
    private FerryHarness ferry;

    @BeforeEach
    void start() throws IOException {
        origin = new RawOrigin((socket, head) -> {
            String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            String answer = answers.getOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            if (head.startsWith("HEAD ")) {
                answer = answer.substring(0, answer.indexOf("\r\n\r\n") + 4); // the head of what a GET gets
            }
            socket.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return true;
        });
        ferry = FerryHarness.proxyTo("cache { enabled = true, grace = 0s, keep = 0s, default-ttl = 0s }\n"
                + "backends.app.retries = 0", origin.port());
    }

    @AfterEach
    void stop() throws IOException {
        ferry.close();
        origin.close();
    }

    private void answer(String path, int status, String headers, String body) {
        answers.put(path, "HTTP/1.1 " + status + " X\r\n" + headers + "Content-Length: " + body.length() + "\r\n\r\n"
                + body);
    }

    private RawClient.Response request(String method, String path, String... headers) throws IOException {
        try (RawClient c = new RawClient(ferry.port())) {
            StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: rfc.test\r\n");
            for (String h : headers) {
                sb.append(h).append("\r\n");
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                sb.append("Content-Length: 0\r\n");
            }
            c.send(sb.append("\r\n").toString());
            return c.read(method.equals("HEAD"));
        }
    }

    private RawClient.Response get(String path, String... headers) throws IOException {
        return request("GET", path, headers);
    }

    private long originCalls(String path) {
        return origin.heads().stream().filter(h -> h.contains(" " + path + " ")).count();
    }

    /** Two GETs: how many reached the origin. */
    private long twice(String path) throws IOException {
        get(path);
        get(path);
        return originCalls(path);
    }

    private static String now(long offsetSeconds) {
        return HttpDates.format(System.currentTimeMillis() + offsetSeconds * 1000);
    }

    private static String ahead(long seconds, String pattern) {
        return DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)
                .format(Instant.ofEpochMilli(System.currentTimeMillis() + seconds * 1000).atZone(ZoneOffset.UTC));
    }

    @Test
    void section4_2_3AgeOnArrivalCountsAndIsSentOn() throws Exception {
        answer("/old", 200, "Cache-Control: max-age=3600\r\nAge: 3600\r\n", "old");
        assertEquals(2, twice("/old"), "max-age=3600 with Age: 3600 is stale on arrival");
        answer("/aged", 200, "Cache-Control: max-age=3600\r\nAge: 100\r\n", "aged");
        get("/aged");
        RawClient.Response hit = get("/aged");
        assertEquals("HIT", hit.header("x-cache"));
        assertTrue(Long.parseLong(hit.header("age")) >= 100, "the Age sent includes the age it arrived with");
        answer("/dated", 200, "Cache-Control: max-age=60\r\nDate: " + now(-3600) + "\r\n", "dated");
        assertEquals(2, twice("/dated"), "apparent age (arrival − Date) counts too");
    }

    @Test
    void section5_1InvalidAgeValues() throws Exception {
        answer("/junk", 200, "Cache-Control: max-age=60\r\nAge: abc\r\n", "junk");
        assertEquals(1, twice("/junk"), "an invalid Age is ignored");
        answer("/list", 200, "Cache-Control: max-age=60\r\nAge: 30, 7000\r\n", "list");
        get("/list");
        long age = Long.parseLong(get("/list").header("age"));
        assertTrue(age >= 30 && age < 7000, "the first member of a list is used: " + age);
        answer("/huge", 200, "Cache-Control: max-age=60\r\nAge: 999999999999999999999999\r\n", "huge");
        assertEquals(2, twice("/huge"), "a value too large counts as 2^31 seconds, no overflow");
    }

    @Test
    void section5_3InvalidOrRepeatedExpiresIsAlreadyExpired() throws Exception {
        String later = now(3600);
        answer("/imf", 200, "Expires: " + later + "\r\n", "imf");
        assertEquals(1, twice("/imf"));
        answer("/one-digit-hour", 200, "Expires: " + later.replaceFirst(" \\d(\\d):", " $1:") + "\r\n", "x");
        assertEquals(2, twice("/one-digit-hour"));
        answer("/bad-zone", 200, "Expires: " + later.replace("GMT", "CET") + "\r\n", "x");
        assertEquals(2, twice("/bad-zone"));
        answer("/two", 200, "Expires: " + later + "\r\nExpires: " + later + "\r\n", "x");
        assertEquals(2, twice("/two"), "several Expires fields: invalid");
        // the obsolete forms, an hour and ten years ahead of the clock Ferry runs on (never a fixed year)
        answer("/asctime", 200, "Expires: " + ahead(3600, "EEE MMM ppd HH:mm:ss yyyy") + "\r\n", "x");
        assertEquals(1, twice("/asctime"), "the obsolete asctime form is accepted");
        answer("/rfc850", 200, "Expires: " + ahead(10 * 366 * 86400L, "EEEE, dd-MMM-yy HH:mm:ss 'GMT'") + "\r\n", "x");
        assertEquals(1, twice("/rfc850"), "and RFC 850 (a two-digit year less than 50 years ahead)");
    }

    @Test
    void rfc9213Section2_1AnInvalidTargetedFieldIsIgnoredAsAWhole() throws Exception {
        answer("/bad-cdn", 200, "CDN-Cache-Control: max-age = 100\r\nCache-Control: no-store\r\n", "x");
        assertEquals(2, twice("/bad-cdn"), "not a dictionary: Cache-Control (no-store) applies");
        answer("/string-cdn", 200, "CDN-Cache-Control: max-age=\"100\"\r\nCache-Control: no-store\r\n", "x");
        assertEquals(2, twice("/string-cdn"), "a string where the integer belongs");
        answer("/good-cdn", 200, "CDN-Cache-Control: max-age=100\r\nCache-Control: no-store\r\n", "x");
        assertEquals(1, twice("/good-cdn"), "a valid one wins over Cache-Control");
    }

    @Test
    void section5_2AWhitespacedDirectiveIsNotADirective() throws Exception {
        answer("/spaced", 200, "Cache-Control: max-age = 100\r\n", "x");
        assertEquals(2, twice("/spaced"), "max-age = 100 is invalid: no lifetime (default-ttl is 0s here)");
    }

    @Test
    void section4_1VaryStarAnywhereNeverMatches() throws Exception {
        answer("/star", 200, "Cache-Control: max-age=60\r\nVary: *\r\n", "x");
        assertEquals(2, twice("/star"));
        answer("/star-list", 200, "Cache-Control: max-age=60\r\nVary: Accept-Encoding, *\r\n", "x");
        assertEquals(2, twice("/star-list"));
        answer("/star-line", 200, "Cache-Control: max-age=60\r\nVary: Accept-Encoding\r\nVary: *\r\n", "x");
        assertEquals(2, twice("/star-line"));
    }

    @Test
    void section4_2_2HeuristicFreshnessFromLastModified() throws Exception {
        answer("/lm", 200, "Date: " + now(0) + "\r\nLast-Modified: " + now(-10 * 86400) + "\r\n", "x");
        assertEquals(1, twice("/lm"), "10 % of 10 days, capped at 1 day: fresh although default-ttl is 0");
        answer("/no-lm", 200, "Date: " + now(0) + "\r\n", "x");
        assertEquals(2, twice("/no-lm"), "no Last-Modified: default-ttl (0 here) applies");
        answer("/lm-302", 302, "Location: /x\r\nLast-Modified: " + now(-86400) + "\r\n", "");
        assertEquals(2, twice("/lm-302"), "302 is not heuristically cacheable");
    }

    @Test
    void section3ExplicitFreshnessMakesAnyFinalStatusStorable() throws Exception {
        for (int status : new int[] {203, 300, 303, 400, 404, 410, 500, 502, 503, 504, 599}) {
            answer("/s" + status, status, "Cache-Control: max-age=60\r\n", "s");
            assertEquals(1, twice("/s" + status), "status " + status + " with max-age");
        }
        answer("/s500-public", 500, "Cache-Control: public\r\nLast-Modified: " + now(-86400) + "\r\n", "p");
        assertEquals(1, twice("/s500-public"), "public: heuristic freshness for any status");
        answer("/s500-bare", 500, "", "bare");
        assertEquals(2, twice("/s500-bare"), "without explicit freshness a 500 is not stored");
        answer("/s206", 206, "Cache-Control: max-age=60\r\nContent-Range: bytes 0-0/10\r\n", "s");
        assertEquals(2, twice("/s206"), "a partial response is not stored as a whole");
    }

    @Test
    void section4_4OnlySuccessfulUnsafeRequestsInvalidate() throws Exception {
        answer("/page", 200, "Cache-Control: max-age=60\r\n", "page");
        answer("/other", 200, "Cache-Control: max-age=60\r\n", "other");
        answer("/elsewhere", 200, "Cache-Control: max-age=60\r\n", "else");
        get("/page");
        get("/other");
        get("/elsewhere");
        answers.put("/page", "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
        assertEquals(500, request("POST", "/page").status());
        answer("/page", 200, "Cache-Control: max-age=60\r\n", "page");
        assertEquals("HIT", get("/page").header("x-cache"), "a failed POST invalidates nothing");
        answer("/page", 201, "Location: /other\r\nContent-Location: http://elsewhere.test/elsewhere\r\n", "");
        assertEquals(201, request("POST", "/page").status());
        answer("/page", 200, "Cache-Control: max-age=60\r\n", "page");
        assertEquals("MISS", get("/page").header("x-cache"), "the target URI is invalidated");
        assertEquals("MISS", get("/other").header("x-cache"), "and Location on the same host");
        assertEquals("HIT", get("/elsewhere").header("x-cache"), "not a URI on another host");
    }

    @Test
    void section5_2_1_7OnlyIfCached() throws Exception {
        answer("/maybe", 200, "Cache-Control: max-age=60\r\n", "x");
        assertEquals(504, get("/maybe", "Cache-Control: only-if-cached").status());
        assertEquals(0, originCalls("/maybe"));
        get("/maybe");
        assertEquals(200, get("/maybe", "Cache-Control: only-if-cached").status());
        assertEquals(1, originCalls("/maybe"));
    }

    @Test
    void section5_2_2MustUnderstandAndQualifiedPrivate() throws Exception {
        answer("/mu", 200, "Cache-Control: max-age=60, no-store, must-understand\r\n", "x");
        assertEquals(1, twice("/mu"), "must-understand with an understood status overrides no-store");
        answer("/mu599", 599, "Cache-Control: max-age=60, no-store, must-understand\r\n", "x");
        assertEquals(2, twice("/mu599"));
        answer("/field", 200, "Cache-Control: max-age=60, private=\"X-User\"\r\nX-User: alice\r\n", "x");
        assertEquals("alice", get("/field").header("x-user"));
        RawClient.Response hit = get("/field");
        assertEquals("HIT", hit.header("x-cache"));
        assertNull(hit.header("x-user"), "private=\"X-User\": stored without that field");
    }

    @Test
    void rfc9213TargetedCacheControlIsFerrysAndNotPassedOn() throws Exception {
        answer("/cdn", 200, "Cache-Control: no-store\r\nCDN-Cache-Control: max-age=60\r\n", "x");
        RawClient.Response first = get("/cdn");
        assertNull(first.header("cdn-cache-control"), "for Ferry, not for the clients behind it");
        assertEquals("no-store", first.header("cache-control"), "browsers still get the origin's own");
        assertEquals("HIT", get("/cdn").header("x-cache"), "CDN-Cache-Control takes precedence");
        answer("/ferry", 200, "CDN-Cache-Control: max-age=60\r\nFerry-Cache-Control: no-store\r\n", "x");
        assertEquals(2, twice("/ferry"), "Ferry-Cache-Control comes before CDN-Cache-Control");
        assertNull(get("/ferry").header("ferry-cache-control"));
    }

    @Test
    void rfc9110Section15_2InterimResponsesAreForwardedNeverStored() throws Exception {
        answers.put("/hints", "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 102 Processing\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok");
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET /hints HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
            RawClient.Response hints = c.read();
            assertEquals(103, hints.status());
            assertEquals("</style.css>; rel=preload", hints.header("link"));
            assertEquals(102, c.read().status());
            RawClient.Response fin = c.read();
            assertEquals(200, fin.status());
            assertEquals("ok", fin.bodyText());
            assertNull(fin.header("link"), "the interim response's fields stay in it");
            c.send("GET /hints HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
            RawClient.Response hit = c.read();
            assertEquals(200, hit.status(), "a hit is the stored final response only");
            assertEquals("HIT", hit.header("x-cache"));
            assertNull(hit.header("link"));
        }
        answers.put("/hints10", answers.get("/hints"));
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET /hints10 HTTP/1.0\r\nHost: rfc.test\r\n\r\n");
            assertEquals(200, c.read().status(), "no 1xx to an HTTP/1.0 client");
        }
    }

    @Test
    void section3_5AuthorizationUsesAndFillsOnlyWithSharedResponses() throws Exception {
        String auth = "Authorization: Basic dTpw";
        answer("/shared", 200, "Cache-Control: public, max-age=60\r\n", "shared");
        assertEquals("PASS", get("/shared", auth).header("x-cache"));
        assertEquals("HIT", get("/shared", auth).header("x-cache"), "public: stored and used with Authorization");
        assertEquals("HIT", get("/shared").header("x-cache"));
        assertEquals(1, originCalls("/shared"));
        answer("/personal", 200, "Cache-Control: max-age=60\r\n", "personal");
        get("/personal", auth);
        get("/personal", auth);
        assertEquals(2, originCalls("/personal"), "not public: neither stored nor reused");
        assertEquals("MISS", get("/personal").header("x-cache"), "and no hit-for-miss mark for anonymous users");
        assertEquals("HIT", get("/personal").header("x-cache"));
        assertEquals(200, get("/personal", auth).status());
        assertEquals(4, originCalls("/personal"), "an anonymous object does not answer Authorization");
        answer("/smax", 200, "Cache-Control: s-maxage=60\r\n", "s");
        get("/smax", auth);
        assertEquals("HIT", get("/smax", auth).header("x-cache"), "s-maxage");
    }

    @Test
    void section5_2_1ClientNoCacheIsIgnoredByDefaultAndHonouredOnRequest() throws Exception {
        answer("/reload", 200, "Cache-Control: max-age=60\r\n", "v1");
        get("/reload");
        assertEquals("HIT", get("/reload", "Cache-Control: no-cache").header("x-cache"), "ignored, as Varnish");
        assertEquals("HIT", get("/reload", "Cache-Control: max-age=0").header("x-cache"));
        assertEquals(1, originCalls("/reload"));
        try (FerryHarness honouring = FerryHarness.proxyTo(
                "cache { enabled = true, grace = 0s, default-ttl = 0s, honour-client-no-cache = true }", origin.port())) {
            try (RawClient c = new RawClient(honouring.port())) {
                c.send("GET /reload HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                assertEquals("v1", c.read().bodyText());
                answer("/reload", 200, "Cache-Control: max-age=60\r\n", "v2");
                c.send("GET /reload HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                assertEquals("v1", c.read().bodyText(), "fresh: served from the cache");
                c.send("GET /reload HTTP/1.1\r\nHost: rfc.test\r\nCache-Control: no-cache\r\n\r\n");
                assertEquals("v2", c.read().bodyText(), "honoured: fetched again");
                c.send("GET /reload HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                assertEquals("v2", c.read().bodyText(), "and the cache updated");
            }
        }
    }

    @Test
    void section4_3_5AHeadResponseUpdatesTheStoredHeaders() throws Exception {
        answer("/doc", 200, "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nX-Version: 1\r\n", "document");
        get("/doc");
        answer("/doc", 200, "Cache-Control: max-age=60\r\nETag: \"v1\"\r\nX-Version: 2\r\n", "document");
        // A passed HEAD (a session cookie) reaches the backend as HEAD and reports the same validator.
        assertEquals(200, request("HEAD", "/doc", "Cookie: PHPSESSID=abc").status());
        RawClient.Response hit = get("/doc");
        assertEquals("HIT", hit.header("x-cache"));
        assertEquals("2", hit.header("x-version"), "same ETag: the stored headers are updated");
        assertEquals("document", hit.bodyText());
        answer("/doc", 200, "Cache-Control: max-age=60\r\nETag: \"v2\"\r\n", "new document");
        request("HEAD", "/doc", "Cookie: PHPSESSID=abc");
        assertEquals("MISS", get("/doc").header("x-cache"), "another ETag: the stored response is invalidated");
    }

    @Test
    void section3_4RangesAreCutFromTheWholeStoredResponse() throws Exception {
        answer("/range", 200, "Cache-Control: max-age=60\r\n", "0123456789");
        RawClient.Response first = get("/range", "Range: bytes=2-4");
        assertEquals("0123456789", first.bodyText(), "the miss fetches (and gets) the whole object");
        assertTrue(origin.heads().stream().noneMatch(h -> h.toLowerCase().contains("range:")),
                "no Range went to the origin");
        RawClient.Response part = get("/range", "Range: bytes=2-4");
        assertEquals(206, part.status());
        assertEquals("234", part.bodyText());
        assertEquals("bytes 2-4/10", part.header("content-range"));
        assertEquals("0123456789", get("/range").bodyText(), "the stored response is complete");
        assertEquals(1, originCalls("/range"));
        answer("/part", 206, "Cache-Control: max-age=60\r\nContent-Range: bytes 0-1/10\r\n", "01");
        assertEquals(206, get("/part").status());
        answer("/part", 200, "Cache-Control: max-age=60\r\n", "0123456789");
        assertEquals("MISS", get("/part").header("x-cache"), "a 206 is never stored");
        assertEquals("HIT", get("/part").header("x-cache"), "nor does it mark the URL hit-for-miss");
    }

    @Test
    void section4_2_3AValidatingResponsesAgeCountsToo() throws Exception {
        try (FerryHarness keeping = FerryHarness.proxyTo(
                "cache { enabled = true, grace = 0s, keep = 1h, default-ttl = 0s }", origin.port())) {
            answer("/reval", 200, "Cache-Control: max-age=0\r\nETag: \"e1\"\r\n", "body");
            try (RawClient c = new RawClient(keeping.port())) {
                c.send("GET /reval HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                assertEquals("body", c.read().bodyText());
                answers.put("/reval", "HTTP/1.1 304 Not Modified\r\nCache-Control: max-age=600\r\nAge: 30\r\n"
                        + "ETag: \"e1\"\r\n\r\n");
                c.send("GET /reval HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                RawClient.Response refreshed = c.read();
                assertEquals("body", refreshed.bodyText(), "revalidated by the 304");
                c.send("GET /reval HTTP/1.1\r\nHost: rfc.test\r\n\r\n");
                RawClient.Response hit = c.read();
                assertEquals("HIT", hit.header("x-cache"));
                assertTrue(Long.parseLong(hit.header("age")) >= 30, "the 304's Age counts: " + hit.header("age"));
            }
        }
    }
}
