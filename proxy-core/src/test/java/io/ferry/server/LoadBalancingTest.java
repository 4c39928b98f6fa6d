package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Balancing across real origins over loopback. */
class LoadBalancingTest {

    private static String backend(String balance, String servers) {
        return FerryHarness.siteConfig("""
                global.io-threads = 1
                backends.app { balance = %s, servers = [ %s ] }
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                """).formatted(balance, servers);
    }

    private static Map<String, Integer> send(FerryHarness ferry, List<String> paths) throws Exception {
        Map<String, Integer> byOrigin = new HashMap<>();
        try (RawClient client = new RawClient(ferry.port())) {
            for (String path : paths) {
                client.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                RawClient.Response r = client.read();
                assertEquals(200, r.status());
                byOrigin.merge(r.bodyText(), 1, Integer::sum);
            }
        }
        return byOrigin;
    }

    @Test
    void weightedRoundRobinSplitsByWeight() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             TestOrigin c = TestOrigin.start(r -> TestOrigin.Reply.ok("c"));
             FerryHarness ferry = FerryHarness.start(backend("round-robin",
                     "{ address = \"127.0.0.1:%d\", weight = 2 }, \"127.0.0.1:%d\", \"127.0.0.1:%d\""
                             .formatted(a.port(), b.port(), c.port())))) {
            Map<String, Integer> counts = send(ferry, java.util.Collections.nCopies(40, "/"));
            assertEquals(Map.of("a", 20, "b", 10, "c", 10), counts);
        }
    }

    @Test
    void uriHashSendsEachPathToOneServer() throws Exception {
        try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
             TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
             FerryHarness ferry = FerryHarness.start(backend("uri-hash",
                     "\"127.0.0.1:%d\", \"127.0.0.1:%d\"".formatted(a.port(), b.port())))) {
            Map<String, String> first = new HashMap<>();
            try (RawClient client = new RawClient(ferry.port())) {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 20; i++) {
                        client.send("GET /course/" + i + "?round=" + round + " HTTP/1.1\r\nHost: t\r\n\r\n");
                        String origin = client.read().bodyText();
                        String before = first.putIfAbsent("/course/" + i, origin);
                        if (before != null) {
                            assertEquals(before, origin, "path /course/" + i + " stays on one server");
                        }
                    }
                }
            }
            assertTrue(first.containsValue("a") && first.containsValue("b"), "keys spread over both: " + first);
        }
    }

    @Test
    void leastConnAndRandomTwoServeThroughEveryServer() throws Exception {
        for (String balance : List.of("least-conn", "random-two", "source-hash")) {
            try (TestOrigin a = TestOrigin.start(r -> TestOrigin.Reply.ok("a"));
                 TestOrigin b = TestOrigin.start(r -> TestOrigin.Reply.ok("b"));
                 FerryHarness ferry = FerryHarness.start(backend(balance,
                         "\"127.0.0.1:%d\", \"127.0.0.1:%d\"".formatted(a.port(), b.port())))) {
                Map<String, Integer> counts = send(ferry, java.util.Collections.nCopies(30, "/"));
                assertEquals(30, counts.values().stream().mapToInt(Integer::intValue).sum());
                if (!balance.equals("source-hash")) {
                    assertEquals(2, counts.size(), balance + " uses both servers: " + counts);
                } else {
                    assertEquals(1, counts.size(), "one client address sticks to one server: " + counts);
                }
            }
        }
    }
}
