package io.ferry.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class RequestPathsTest {

    @Test
    void normalPathsComeBackAsTheSameObject() {
        for (String p : new String[] {"/", "/a/b.css", "/a/b/", "/a.b/c..d/.e", "/%41/x", "*", "http://h/x/../y"}) {
            assertSame(p, RequestPaths.normalize(p), p);
        }
    }

    @Test
    void dotSegmentsAreRemovedAsRfc3986Says() {
        assertEquals("/admin", RequestPaths.normalize("/static/../admin"));
        assertEquals("/a/c", RequestPaths.normalize("/a/./b/../c"));
        assertEquals("/a/", RequestPaths.normalize("/a/b/.."));
        assertEquals("/a/", RequestPaths.normalize("/a/."));
        assertEquals("/etc/passwd", RequestPaths.normalize("/../../etc/passwd"), "cannot climb above the root");
        assertEquals("/", RequestPaths.normalize("/.."));
        assertEquals("/", RequestPaths.normalize("/./"));
    }

    @Test
    void encodedDotsCountAsDots() {
        assertEquals("/admin", RequestPaths.normalize("/x/%2e%2e/admin"));
        assertEquals("/admin", RequestPaths.normalize("/x/%2E./admin"));
        assertEquals("/admin", RequestPaths.normalize("/x/.%2e/admin"));
        assertEquals("/x/admin", RequestPaths.normalize("/x/%2e/admin"));
        assertEquals("/x/%2e%2e%2e/admin", RequestPaths.normalize("/x/%2e%2e%2e/admin"), "three dots are a name");
    }

    @Test
    void emptySegmentsMerge() {
        assertEquals("/admin/x", RequestPaths.normalize("//admin//x"));
        assertEquals("/admin/", RequestPaths.normalize("/admin//"));
    }
}
