package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CacheControlTest {

    @Test
    void parsesTheDirectivesASharedCacheUses() {
        CacheControl cc = CacheControl.parse("public, max-age=300, s-maxage=600, stale-while-revalidate=30, "
                + "stale-if-error=86400, must-revalidate");
        assertEquals(300, cc.maxAge());
        assertEquals(600, cc.sMaxAge());
        assertEquals(30, cc.staleWhileRevalidate());
        assertEquals(86400, cc.staleIfError());
        assertTrue(cc.isPublic());
        assertTrue(cc.mustRevalidate());
        assertFalse(cc.noStore());
    }

    @Test
    void caseQuotedArgumentsAndFieldListsAreHandled() {
        CacheControl cc = CacheControl.parse("No-Cache=\"Set-Cookie, X-Foo\", PRIVATE, Max-Age=\"60\"");
        assertFalse(cc.noCache(), "qualified no-cache (RFC 9111 §5.2.2.4) names fields, it does not forbid reuse");
        assertEquals(java.util.List.of("set-cookie", "x-foo"), cc.omitFields());
        assertTrue(cc.isPrivate());
        assertEquals(60, cc.maxAge());
        CacheControl fields = CacheControl.parse("private=\"X-User\", must-understand");
        assertFalse(fields.isPrivate(), "qualified private (§5.2.2.7): stored without X-User");
        assertEquals(java.util.List.of("x-user"), fields.omitFields());
        assertTrue(fields.mustUnderstand());
    }

    @Test
    void combinesSeveralFieldValues() {
        CacheControl cc = CacheControl.parse(List.of("no-store", "max-age=5"));
        assertTrue(cc.noStore());
        assertEquals(5, cc.maxAge());
    }

    @Test
    void malformedAgesAreConservative() {
        assertEquals(0, CacheControl.parse("max-age=soon").maxAge(), "a bad max-age means stale");
        assertEquals(-1, CacheControl.parse("stale-if-error=x").staleIfError());
        assertEquals(Integer.MAX_VALUE, CacheControl.parse("max-age=99999999999999").maxAge());
    }

    @Test
    void emptyAndUnknownGiveNone() {
        assertSame(CacheControl.NONE, CacheControl.parse((String) null));
        assertEquals(CacheControl.NONE, CacheControl.parse("x-custom=1, ,"));
    }

    @Test
    void rfc9111Section5_2NoWhitespaceAroundTheEqualsSign() {
        assertEquals(-1, CacheControl.parse("max-age = 100").maxAge(), "invalid: ignored");
        assertEquals(-1, CacheControl.parse("max-age =100").maxAge());
        assertEquals(100, CacheControl.parse("public, max-age=100 , must-revalidate").maxAge(), "OWS around commas is fine");
    }

    @Test
    void rfc9213Section2_1TargetedFieldsAreStructuredDictionaries() {
        assertEquals(60, TargetedCacheControl.parse(java.util.List.of("max-age=60")).maxAge());
        assertEquals(60, TargetedCacheControl.parse(java.util.List.of("max-age=60, must-revalidate")).maxAge());
        assertEquals(60, TargetedCacheControl.parse(java.util.List.of("max-age=60;foo=bar", "private")).maxAge(),
                "parameters, and several lines joined");
        for (String bad : new String[] {"max-age = 100", "max-age=\"60\"", "max-age=abc", "max-age=1.5", "Max-Age=60",
                "max-age=60,", "max-age", "max-age=60 no-store", ""}) {
            assertNull(TargetedCacheControl.parse(java.util.List.of(bad)), "ignored as a whole: " + bad);
        }
    }
}
