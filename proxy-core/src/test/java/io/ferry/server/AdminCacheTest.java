package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Purge, ban and tag purge through the admin listener, and the cache statistics it reports. */
class AdminCacheTest {

    private static String get(FerryHarness ferry, String path) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: site.test\r\n\r\n");
            return c.read().header("x-cache");
        }
    }

    private static HttpResponse<String> admin(FerryHarness ferry, String method, String pathAndQuery) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + ferry.server().adminPort() + pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void adminPurgesBansTagsAndReportsStats() throws Exception {
        try (TestOrigin o = TestOrigin.start(r -> new TestOrigin.Reply(200,
                     Map.of("Cache-Control", "max-age=60", "Surrogate-Key", r.uri().startsWith("/news") ? "news" : "page"),
                     "x".getBytes()));
             FerryHarness ferry = FerryHarness.proxyTo("cache.enabled = true\n"
                     + "admin { enabled = true, bind = \"127.0.0.1\", port = 0 }", o.port())) {
            get(ferry, "/a");
            get(ferry, "/news/1");
            get(ferry, "/news/2");
            assertEquals("HIT", get(ferry, "/a"));

            HttpResponse<String> stats = admin(ferry, "GET", "/cache/stats");
            assertEquals(200, stats.statusCode());
            assertTrue(stats.body().contains("\"objects\":3"), stats.body());
            assertTrue(stats.body().contains("\"hits\":1"), stats.body());
            assertTrue(stats.body().contains("\"stored\":3"), stats.body());

            assertEquals("removed 1 objects\n", admin(ferry, "POST", "/cache/purge?host=site.test&path=/a").body());
            assertEquals("MISS", get(ferry, "/a"));
            assertEquals("removed 2 objects\n", admin(ferry, "POST", "/cache/tags?tag=news").body());
            assertEquals("MISS", get(ferry, "/news/1"));
            get(ferry, "/a");
            assertEquals("HIT", get(ferry, "/a"));
            assertEquals("ban added: matching objects stored before it are gone\n",
                    admin(ferry, "POST", "/cache/ban?path=%5E/").body());
            assertEquals("MISS", get(ferry, "/a"), "banned (tested as it was looked up)");
            assertEquals(400, admin(ferry, "POST", "/cache/ban?path=(").statusCode());
            assertEquals(405, admin(ferry, "GET", "/cache/purge?host=a&path=/").statusCode());
        }
    }
}
