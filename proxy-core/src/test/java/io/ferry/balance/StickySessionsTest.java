package io.ferry.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Sessions kept on one server: a cookie naming the server (HAProxy's cookie SERVERID insert indirect
 * nocache) and a hash of PHP's session cookie, over real sockets to three Netty origins.
 */
class StickySessionsTest {
    private static TestOrigin named(String name) {
        return TestOrigin.start(r -> new TestOrigin.Reply(200, Map.of("Content-Type", "text/plain",
                "Cache-Control", "public, max-age=60"), (name + " " + r.headers().get("Cookie")).getBytes()));
    }

    private static RawClient.Response get(FerryHarness ferry, String path, String... headers) throws Exception {
        try (RawClient c = new RawClient(ferry.port())) {
            return c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n" + String.join("", headers) + "\r\n").read();
        }
    }

    private static String server(RawClient.Response r) {
        return r.bodyText().split(" ")[0];
    }

    /** SERVERID=token from a Set-Cookie field. */
    private static String cookie(RawClient.Response r) {
        String set = r.header("Set-Cookie");
        return set == null ? null : set.substring(0, set.indexOf(';'));
    }

    private static String config(TestOrigin a, TestOrigin b, TestOrigin c) {
        return """
                backends.app { servers = [ "127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d" ],
                  sticky { cookie = SERVERID, secret = "a secret of sixteen or more" }, retries = 2 }
                """.formatted(a.port(), b.port(), c.port());
    }

    @Test
    void theCookieSendsAClientBackToItsServerOutOfTheServersSight() throws Exception {
        try (TestOrigin a = named("a"); TestOrigin b = named("b"); TestOrigin c = named("c");
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig(config(a, b, c)
                     + "routes = [ { backend = app } ]\ntimeouts.shutdown = 1s"))) {
            RawClient.Response first = get(ferry, "/");
            String session = cookie(first);
            assertTrue(session.startsWith("SERVERID=") && session.length() == "SERVERID=".length() + 16, session);
            assertTrue(first.header("Set-Cookie").contains("HttpOnly"));
            assertEquals("private, max-age=60", first.header("Cache-Control"), "nocache: shared caches keep out");
            String home = server(first);
            for (int i = 0; i < 9; i++) {
                RawClient.Response again = get(ferry, "/", "Cookie: PHPSESSID=abc; " + session + "\r\n");
                assertEquals(home, server(again), "request " + i + " goes back to the server of the cookie");
                assertNull(again.header("Set-Cookie"), "nothing to change");
                assertEquals(home + " PHPSESSID=abc", again.bodyText(), "indirect: the server never sees SERVERID");
            }
            RawClient.Response forged = get(ferry, "/", "Cookie: SERVERID=127.0.0.1:" + a.port() + "\r\n");
            assertTrue(cookie(forged) != null, "a value Ferry did not make names no server: balanced, and a cookie set");
            assertEquals(home, server(get(ferry, "/", "Cookie: " + session + "\r\n")));
        }
    }

    @Test
    void aServerThatGoesAwayHandsItsClientsToAnother() throws Exception {
        TestOrigin a = named("a");
        try (TestOrigin b = named("b"); TestOrigin c = named("c");
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig(config(a, b, c)
                     + "routes = [ { backend = app } ]\ntimeouts.shutdown = 1s"))) {
            String onA = null;
            for (int i = 0; i < 3 && onA == null; i++) { // round-robin: one of the first three is a's
                RawClient.Response r = get(ferry, "/");
                if (server(r).equals("a")) {
                    onA = cookie(r);
                }
            }
            assertTrue(onA != null);
            a.close(); // nothing listens there now: connects fail, the request is retried elsewhere
            RawClient.Response moved = get(ferry, "/", "Cookie: " + onA + "\r\n");
            assertEquals(200, moved.status());
            assertNotEquals("a", server(moved));
            String next = cookie(moved);
            assertTrue(next != null && !next.equals(onA), "the cookie now names the server that answered");
            assertEquals(server(moved), server(get(ferry, "/", "Cookie: " + next + "\r\n")));
        } finally {
            a.close();
        }
    }

    /**
     * Long polling (SockJS xhr-polling, the Xitrum deployment): three clients poll at once, each poll held
     * by the server a while before it answers, and every poll of a client reaches the server that holds
     * its session.
     */
    @Test
    void longPollingClientsStayOnTheirServersAcrossThreeBackends() throws Exception {
        try (TestOrigin a = named("a"); TestOrigin b = named("b"); TestOrigin c = named("c");
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig(config(a, b, c)
                     + "routes = [ { backend = app } ]\ntimeouts.shutdown = 1s"))) {
            for (TestOrigin o : List.of(a, b, c)) {
                o.delayReplies(30); // each poll waits on the server before its answer
            }
            List<String> cookies = new ArrayList<>();
            List<String> homes = new ArrayList<>();
            for (int i = 0; i < 30 && homes.size() < 3; i++) { // sessions opened until one lives on each server
                RawClient.Response open = get(ferry, "/sockjs/info");
                if (!homes.contains(server(open))) {
                    cookies.add(cookie(open));
                    homes.add(server(open));
                }
            }
            assertEquals(Set.of("a", "b", "c"), new HashSet<>(homes), "the balancer uses every server");
            ExecutorService clients = Executors.newFixedThreadPool(3);
            try {
                List<Future<Set<String>>> seen = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String session = cookies.get(i);
                    seen.add(clients.submit(() -> {
                        Set<String> servers = new HashSet<>();
                        try (RawClient poll = new RawClient(ferry.port())) { // one keepalive connection per client
                            for (int n = 0; n < 10; n++) {
                                poll.send("POST /sockjs/000/" + session.hashCode() + "/xhr HTTP/1.1\r\nHost: t\r\n"
                                        + "Cookie: " + session + "\r\nContent-Length: 0\r\n\r\n");
                                servers.add(server(poll.read()));
                            }
                        }
                        return servers;
                    }));
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals(Set.of(homes.get(i)), seen.get(i).get(), "client " + i + "'s polls");
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void hashCookieKeepsAPhpSessionOnOneServerWhateverTheClientAddress() throws Exception {
        try (TestOrigin a = named("a"); TestOrigin b = named("b"); TestOrigin c = named("c");
             FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                     backends.app { servers = [ "127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d" ],
                       balance = source-hash, hash-cookie = PHPSESSID }
                     routes = [ { backend = app } ]
                     real-ip.from = [ "127.0.0.1" ]
                     timeouts.shutdown = 1s
                     """.formatted(a.port(), b.port(), c.port())))) {
            Set<String> used = new HashSet<>();
            for (int s = 0; s < 12; s++) {
                String session = "sess" + s;
                String first = null;
                for (int i = 1; i <= 4; i++) { // a phone moving between networks keeps its session
                    String server = server(get(ferry, "/", "Cookie: PHPSESSID=" + session + "\r\n",
                            "X-Forwarded-For: 198.51.100." + (s * 4 + i) + "\r\n"));
                    if (first == null) {
                        first = server;
                    }
                    assertEquals(first, server, session + " from address " + i);
                }
                used.add(first);
            }
            assertTrue(used.size() >= 2, "sessions spread over the servers: " + used);
        }
    }
}
