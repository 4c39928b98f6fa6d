package io.ferry.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StaticFilesTest {
    @Test
    void singleRangesPerRfc9110() {
        assertArrayEquals(new long[] {0, 4}, StaticFiles.singleRange("bytes=0-4", 10));
        assertArrayEquals(new long[] {5, 9}, StaticFiles.singleRange("bytes=5-", 10));
        assertArrayEquals(new long[] {7, 9}, StaticFiles.singleRange("bytes=-3", 10));
        assertArrayEquals(new long[] {0, 9}, StaticFiles.singleRange("bytes=-30", 10));
        assertArrayEquals(new long[] {8, 9}, StaticFiles.singleRange("bytes=8-100", 10), "end clamped to the size");
        assertNull(StaticFiles.singleRange("bytes=10-", 10), "starts past the end: 416");
        assertNull(StaticFiles.singleRange("bytes=-0", 10));
        assertEquals(0, StaticFiles.singleRange("bytes=0-1,4-5", 10).length, "several ranges: send it all");
        assertEquals(0, StaticFiles.singleRange("items=0-1", 10).length, "unknown unit: ignored");
        assertEquals(0, StaticFiles.singleRange("bytes=5-2", 10).length, "invalid: ignored");
    }

    @Test
    void contentTypesByExtension() {
        assertEquals("text/css; charset=utf-8", StaticFiles.contentType(Path.of("a/b.CSS")));
        assertEquals("font/woff2", StaticFiles.contentType(Path.of("f.woff2")));
        assertEquals("application/octet-stream", StaticFiles.contentType(Path.of("noext")));
    }
}
