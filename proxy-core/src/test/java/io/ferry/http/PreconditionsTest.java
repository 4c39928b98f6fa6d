package io.ferry.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** RFC 9110 §13 and §14, as the cache and the static files both answer them. */
class PreconditionsTest {
    private static final String MODIFIED = "Mon, 23 Nov 2026 20:00:00 GMT";

    private static HttpHeaders request(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void singleRangesPerRfc9110() {
        assertArrayEquals(new long[] {0, 4}, Preconditions.singleRange("bytes=0-4", 10));
        assertArrayEquals(new long[] {5, 9}, Preconditions.singleRange("bytes=5-", 10));
        assertArrayEquals(new long[] {7, 9}, Preconditions.singleRange("bytes=-3", 10));
        assertArrayEquals(new long[] {0, 9}, Preconditions.singleRange("bytes=-30", 10));
        assertArrayEquals(new long[] {8, 9}, Preconditions.singleRange("bytes=8-100", 10), "end clamped to the size");
        assertNull(Preconditions.singleRange("bytes=10-", 10), "starts past the end: 416");
        assertNull(Preconditions.singleRange("bytes=-0", 10));
        assertEquals(0, Preconditions.singleRange("bytes=0-1,4-5", 10).length, "several ranges: send it all");
        assertEquals(0, Preconditions.singleRange("items=0-1", 10).length, "unknown unit: ignored");
        assertEquals(0, Preconditions.singleRange("bytes=5-2", 10).length, "invalid: ignored");
    }

    @Test
    void ifNoneMatchComparesWeaklyAndWinsOverIfModifiedSince() {
        assertTrue(Preconditions.notModified(request("If-None-Match", "W/\"a\""), "\"a\"", MODIFIED));
        assertTrue(Preconditions.notModified(request("If-None-Match", "\"x\", \"a\""), "W/\"a\"", MODIFIED));
        assertTrue(Preconditions.notModified(request("If-None-Match", "*"), null, null));
        assertFalse(Preconditions.notModified(request("If-None-Match", "\"b\"",
                "If-Modified-Since", MODIFIED), "\"a\"", MODIFIED), "If-Modified-Since is not looked at (§13.2.2)");
        assertTrue(Preconditions.notModified(request("If-Modified-Since", MODIFIED), null, MODIFIED));
        assertFalse(Preconditions.notModified(request("If-Modified-Since", "Mon, 23 Nov 2026 19:59:59 GMT"), null,
                MODIFIED), "modified after the client's copy");
        assertFalse(Preconditions.notModified(request("If-Modified-Since", "Mon, 23 Nov 2026 20:00:00 CET"), null,
                MODIFIED), "not an HTTP-date: ignored");
        assertFalse(Preconditions.notModified(request("If-Modified-Since", MODIFIED), "\"a\"", null),
                "no Last-Modified to compare with");
    }

    @Test
    void ifRangeNamesTheRepresentationStronglyOrByItsExactDate() {
        assertTrue(Preconditions.ifRangeAllows(null, "\"a\"", MODIFIED), "no If-Range: the range applies");
        assertTrue(Preconditions.ifRangeAllows("\"a\"", "\"a\"", MODIFIED));
        assertFalse(Preconditions.ifRangeAllows("\"old\"", "\"a\"", MODIFIED), "changed: the whole new body");
        assertFalse(Preconditions.ifRangeAllows("W/\"a\"", "W/\"a\"", MODIFIED), "weak tags never match");
        assertFalse(Preconditions.ifRangeAllows("\"a\"", "W/\"a\"", MODIFIED));
        assertTrue(Preconditions.ifRangeAllows(MODIFIED, "\"a\"", MODIFIED));
        assertFalse(Preconditions.ifRangeAllows("Mon, 23 Nov 2026 19:00:00 GMT", "\"a\"", MODIFIED));
        assertFalse(Preconditions.ifRangeAllows(MODIFIED, "\"a\"", null));
        assertFalse(Preconditions.ifRangeAllows("yesterday", "\"a\"", MODIFIED));
    }
}
