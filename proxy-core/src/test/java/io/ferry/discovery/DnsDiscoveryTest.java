package io.ferry.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.config.ConfigError;
import io.ferry.testing.Dnsmasq;
import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import io.ferry.upstream.ServerPool;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers found by DNS, against a real DNS server the test starts (dnsmasq, 1 s TTLs): a name's A records
 * changed under load (servers leave and arrive, no request fails), SRV records with ports and weights, a
 * DNS server that goes away (the last good set stays), and a name that cannot be resolved at start.
 */
@Tag("external")
class DnsDiscoveryTest {
    @TempDir
    Path dir;

    /** A port free on every loopback address the test uses. */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
                port = s.getLocalPort();
            }
            try (ServerSocket a = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.3"));
                 ServerSocket b = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.4"))) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no port free on 127.0.0.2-4");
    }

    private static TestOrigin origin(String ip, int port) {
        return TestOrigin.startOn(ip, port, r -> TestOrigin.Reply.ok(ip));
    }

    private static String get(RawClient c) throws IOException {
        RawClient.Response r = c.send("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n").read();
        return r.status() == 200 ? r.bodyText() : "status " + r.status();
    }

    /** The addresses answering {@code n} requests in a row. */
    private static Set<String> answering(FerryHarness ferry, int n) throws IOException {
        Set<String> seen = new TreeSet<>();
        try (RawClient c = new RawClient(ferry.port())) {
            for (int i = 0; i < n; i++) {
                seen.add(get(c));
            }
        }
        return seen;
    }

    private static String config(Dnsmasq dns, String servers) {
        return FerryHarness.siteConfig("""
                resolvers { nameservers = [ "%s" ], min-ttl = 100ms, max-ttl = 1s, timeout = 500ms }
                backends.app.servers = [ %s ]
                routes = [ { backend = app } ]
                timeouts.shutdown = 1s
                """.formatted(dns.address(), servers));
    }

    @Test
    void serversLeaveAndArriveAsTheNamesRecordsChangeWithNoFailedRequest() throws Exception {
        int port = freePort();
        try (TestOrigin two = origin("127.0.0.2", port); TestOrigin three = origin("127.0.0.3", port);
             TestOrigin four = origin("127.0.0.4", port);
             Dnsmasq dns = Dnsmasq.start(dir, "127.0.0.2 app.test\n127.0.0.3 app.test\n");
             FerryHarness ferry = FerryHarness.start(config(dns, "{ address = \"app.test:" + port + "\", resolve = true }"))) {
            assertEquals(Set.of("127.0.0.2", "127.0.0.3"), answering(ferry, 10));
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            Thread load = new Thread(() -> { // steady requests on one keepalive connection, bounded
                try (RawClient c = new RawClient(ferry.port())) {
                    while (running.get() && done.get() < 200_000) {
                        if (get(c).startsWith("status")) {
                            failed.incrementAndGet();
                        }
                        done.incrementAndGet();
                    }
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
            });
            load.start();
            try {
                dns.hosts("127.0.0.3 app.test\n");
                Eventually.until("only 127.0.0.3 answers", () -> answering(ferry, 6).equals(Set.of("127.0.0.3")));
                dns.hosts("127.0.0.3 app.test\n127.0.0.4 app.test\n");
                Eventually.until("127.0.0.4 joins", () -> answering(ferry, 6).equals(Set.of("127.0.0.3", "127.0.0.4")));
            } finally {
                running.set(false);
                load.join(10_000);
            }
            assertEquals(0, failed.get(), "no request failed while servers changed (" + done.get() + " sent)");
            assertTrue(done.get() > 0);
            List<String> names = ferry.server().backends().get("app").servers().stream().map(ServerPool::name).toList();
            assertEquals(List.of("app.test:" + port + "/127.0.0.3", "app.test:" + port + "/127.0.0.4"), names);

            dns.stop(); // lookups fail from now on: the last good set stays
            long before = ferry.server().discovery().lookupsFailed();
            Eventually.until("a lookup has failed", () -> ferry.server().discovery().lookupsFailed() > before);
            assertEquals(Set.of("127.0.0.3", "127.0.0.4"), answering(ferry, 6));
        }
    }

    @Test
    void srvRecordsGiveEachServersHostPortAndWeight() throws Exception {
        try (TestOrigin light = TestOrigin.start(r -> TestOrigin.Reply.ok("light"));
             TestOrigin heavy = TestOrigin.start(r -> TestOrigin.Reply.ok("heavy"));
             Dnsmasq dns = Dnsmasq.start(dir, "127.0.0.1 node.test\n",
                     "--srv-host=_http._tcp.app.test,node.test," + light.port() + ",0,1",
                     "--srv-host=_http._tcp.app.test,node.test," + heavy.port() + ",0,3",
                     "--srv-host=_http._tcp.app.test,node.test,9,5,1"); // a backup of a worse priority: not used
             FerryHarness ferry = FerryHarness.start(config(dns, "\"srv:_http._tcp.app.test\""))) {
            Map<String, Integer> weights = new HashMap<>();
            ferry.server().backends().get("app").servers().forEach(s -> weights.put(s.name(), s.weight()));
            assertEquals(Map.of("node.test:" + light.port() + "/127.0.0.1", 1, "node.test:" + heavy.port() + "/127.0.0.1", 3),
                    weights);
            Map<String, Integer> counts = new HashMap<>();
            try (RawClient c = new RawClient(ferry.port())) {
                for (int i = 0; i < 40; i++) {
                    counts.merge(get(c), 1, Integer::sum);
                }
            }
            assertEquals(Map.of("light", 10, "heavy", 30), counts, "weighted round robin by the SRV weights");

            dns.restart("--srv-host=_http._tcp.app.test,node.test," + heavy.port() + ",0,3");
            Eventually.until("only the heavy server is named", () -> {
                Set<String> seen = new TreeSet<>();
                try (RawClient c = new RawClient(ferry.port())) {
                    for (int i = 0; i < 8; i++) {
                        seen.add(get(c));
                    }
                }
                return seen.equals(Set.of("heavy"));
            });
        }
    }

    @Test
    void aNameThatCannotBeResolvedStopsTheStartWithItsName() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, "127.0.0.2 other.test\n")) {
            ConfigError e = assertThrows(ConfigError.class,
                    () -> FerryHarness.start(config(dns, "{ address = \"missing.test:8080\", resolve = true }")).close());
            assertEquals("server missing.test:8080", e.key());
            assertTrue(e.getMessage().contains("missing.test"), e.getMessage());
        }
    }

    /** A fleet whose members find each other by DNS (a headless Service's records): one cache all the same. */
    @Test
    void fleetMembersFoundByDnsShareOneCache() throws Exception {
        int port = freePort();
        Map<String, AtomicInteger> fetched = new java.util.concurrent.ConcurrentHashMap<>();
        String[] ips = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
        List<FerryHarness> fleet = new java.util.ArrayList<>();
        try (TestOrigin origin = TestOrigin.start(r -> {
                 fetched.computeIfAbsent(r.uri(), k -> new AtomicInteger()).incrementAndGet();
                 return new TestOrigin.Reply(200, Map.of("Cache-Control", "max-age=600"), r.uri().getBytes());
             });
             Dnsmasq dns = Dnsmasq.start(dir, "127.0.0.2 peers.test\n127.0.0.3 peers.test\n127.0.0.4 peers.test\n")) {
            for (String ip : ips) {
                fleet.add(FerryHarness.start(FerryHarness.siteConfig("").replace("bind = \"127.0.0.1\", port = 0",
                        "bind = \"" + ip + "\", port = " + port).replace("access-log.enabled = false", """
                        access-log.enabled = false
                        resolvers { nameservers = [ "%s" ], min-ttl = 100ms, max-ttl = 1s }
                        backends.app.servers = [ "127.0.0.1:%d" ]
                        routes = [ { backend = app } ]
                        cache.enabled = true
                        cluster { self = "%s:%d", peers = [ { address = "peers.test:%d", resolve = true } ] }
                        timeouts.shutdown = 1s
                        """.formatted(dns.address(), origin.port(), ip, port, port))));
            }
            for (int k = 0; k < 20; k++) {
                for (String ip : ips) {
                    try (RawClient c = new RawClient(new java.net.Socket(ip, port))) {
                        assertEquals("/o" + k, c.send("GET /o" + k + " HTTP/1.1\r\nHost: site.test\r\n\r\n").read().bodyText());
                    }
                }
            }
            for (int k = 0; k < 20; k++) {
                assertEquals(1, fetched.get("/o" + k).get(), "/o" + k + " fetched once for the fleet");
            }
        } finally {
            fleet.forEach(FerryHarness::close);
        }
    }
}
