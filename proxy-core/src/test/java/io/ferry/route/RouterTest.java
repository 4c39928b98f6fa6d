package io.ferry.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouterTest {
    private record R(List<String> hosts, String path, String target) {
    }

    private final Router<String> router = Router.build(List.of(
            new R(List.of("static.example.org"), "/", "static"),
            new R(List.of("*.example.org"), "/admin", "admin"),
            new R(List.of("*.example.org", "example.org"), "/", "site"),
            new R(List.of("[::1]"), "/", "v6"),
            new R(List.of("*"), "/api/", "api")), R::hosts, R::path, R::target);

    @Test
    void exactHostIgnoresCaseAndPort() {
        assertEquals("static", router.route("Static.Example.ORG:8000", "/css/a.css"));
        assertEquals("static", router.route("static.example.org.", "/"));
    }

    @Test
    void wildcardMatchesSubdomainsOnlyAndFirstMatchWins() {
        assertEquals("admin", router.route("a.example.org", "/admin/config"));
        assertEquals("site", router.route("a.b.example.org", "/node/1"));
        assertEquals("site", router.route("example.org", "/admin"), "the bare domain is not *.example.org");
        assertNull(router.route("badexample.org", "/"));
    }

    @Test
    void ipv6HostsAndCatchAll() {
        assertEquals("v6", router.route("[::1]:8000", "/"));
        assertEquals("api", router.route("other.net", "/api/v1"));
        assertEquals("api", router.route(null, "/api/x"));
        assertNull(router.route("other.net", "/apix"));
    }
}
