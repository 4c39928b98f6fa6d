package io.ferry.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StaticFilesTest {
    @Test
    void contentTypesByExtension() {
        assertEquals("text/css; charset=utf-8", StaticFiles.contentType(Path.of("a/b.CSS")));
        assertEquals("font/woff2", StaticFiles.contentType(Path.of("f.woff2")));
        assertEquals("application/octet-stream", StaticFiles.contentType(Path.of("noext")));
    }
}
