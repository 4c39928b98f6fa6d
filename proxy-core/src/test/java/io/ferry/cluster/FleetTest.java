package io.ferry.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawClient;
import io.ferry.testing.TestOrigin;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet of three Ferry instances on 127.0.0.2-4 with one shared origin that counts what it is asked:
 * one cache for the fleet (each object fetched once, whichever instance is asked), an instance stopped
 * (its keys go to the others, no request fails), and purges sent at one instance reaching all, also one
 * that was away when the purge was sent.
 */
class FleetTest {
    private static final String[] IPS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    private final Map<String, AtomicInteger> fetched = new ConcurrentHashMap<>();
    /** Per path, the members that fetched it from the origin (each member marks its backend requests). */
    private final Map<String, List<String>> fetchedBy = new ConcurrentHashMap<>();
    private final AtomicInteger version = new AtomicInteger(1);
    private TestOrigin origin;
    private final int[] ports = new int[3];
    private final FerryHarness[] fleet = new FerryHarness[3];
    /** More cluster settings for the members a test starts again. */
    private String clusterExtra = "";

    @BeforeEach
    void start() throws IOException {
        origin = TestOrigin.start(r -> {
            fetched.computeIfAbsent(r.uri(), k -> new AtomicInteger()).incrementAndGet();
            fetchedBy.computeIfAbsent(r.uri(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add(r.headers().get("X-Member"));
            return new TestOrigin.Reply(200, Map.of("Content-Type", "text/plain", "Cache-Control", "public, max-age=600"),
                    (r.uri() + " v" + version.get()).getBytes());
        });
        for (int i = 0; i < 3; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(IPS[i]))) {
                ports[i] = s.getLocalPort();
            }
        }
        for (int i = 0; i < 3; i++) {
            fleet[i] = member(i);
        }
    }

    private String memberConfig(int i) {
        StringBuilder peers = new StringBuilder();
        for (int k = 0; k < 3; k++) {
            peers.append(k == 0 ? "" : ", ").append('"').append(IPS[k]).append(':').append(ports[k]).append('"');
        }
        return """
                ferry {
                  listeners = [ { name = http, bind = "%s", port = %d } ]
                  access-log.enabled = false
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  cache.enabled = true
                  rules.request = [ { set-header { X-Member = "%s" } } ]
                  cluster { self = "%s:%d", peers = [ %s ], fanout-timeout = 1s %s }
                  admin { enabled = true, bind = "127.0.0.1", port = 0 }
                  timeouts.shutdown = 1s
                }
                """.formatted(IPS[i], ports[i], origin.port(), IPS[i], IPS[i], ports[i], peers, clusterExtra);
    }

    private FerryHarness member(int i) {
        return FerryHarness.start(memberConfig(i));
    }

    @AfterEach
    void stop() {
        for (FerryHarness f : fleet) {
            if (f != null) {
                f.close();
            }
        }
        origin.close();
    }

    private RawClient.Response send(int member, String request) throws IOException {
        try (RawClient c = new RawClient(new Socket(IPS[member], ports[member]))) {
            return c.send(request).read();
        }
    }

    private String get(int member, String path) throws IOException {
        RawClient.Response r = send(member, "GET " + path + " HTTP/1.1\r\nHost: site.test\r\n\r\n");
        return r.status() == 200 ? r.bodyText() : "status " + r.status();
    }

    private int fetches(String path) {
        AtomicInteger n = fetched.get(path);
        return n == null ? 0 : n.get();
    }

    @Test
    void eachObjectIsFetchedOnceForTheWholeFleet() throws Exception {
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < 30; k++) {
                for (int m = 0; m < 3; m++) {
                    assertEquals("/page-" + k + " v1", get(m, "/page-" + k));
                }
            }
        }
        for (int k = 0; k < 30; k++) {
            assertEquals(1, fetches("/page-" + k), "/page-" + k + " fetched once for three instances, six requests");
        }
        RawClient.Response viaPeer = null;
        for (int m = 0; m < 3 && (viaPeer == null || viaPeer.header("Via") == null); m++) {
            viaPeer = send(m, "GET /page-0 HTTP/1.1\r\nHost: site.test\r\n\r\n");
        }
        assertEquals("HIT", viaPeer.header("X-Cache"), "the owner's answer: a hit");
        assertNull(origin.requests().get(0).headers().get("Ferry-Peer"), "the marker never reaches a backend");
    }

    @Test
    void aStoppedInstancesKeysGoToTheOthersWithoutAFailedRequest() throws Exception {
        // Keys until the one to be stopped owns a few and the others some (the ring hangs on the random ports).
        int keys = 0;
        while (keys < 30 || (owners(keys, IPS[2]) < 3 || owners(keys, IPS[2]) > keys - 3) && keys < 300) {
            get(keys % 3, "/page-" + keys);
            keys++;
        }
        fleet[2].close();
        fleet[2] = null;
        List<String> failures = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < keys; k++) {
                String body = get(k % 2, "/page-" + k);
                if (!body.equals("/page-" + k + " v1")) {
                    failures.add("/page-" + k + ": " + body);
                }
            }
        }
        assertEquals(List.of(), failures);
        List<String> stoppedOnes = new ArrayList<>();
        List<String> refetched = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            List<String> by = fetchedBy.get("/page-" + k);
            if (by.get(0).equals(IPS[2])) {
                stoppedOnes.add("/page-" + k);
            }
            if (by.size() > 1) {
                refetched.add("/page-" + k);
                // Until each survivor has seen the stopped one fail once, a survivor may fetch a key it was sent
                // by the other on a retry: at most once more per survivor, and never by the stopped one.
                assertTrue(by.size() <= 3 && !by.subList(1, by.size()).contains(IPS[2]), "/page-" + k + " fetched by " + by);
            }
        }
        // The ring decides which keys were the stopped one's (by the members' ports, random here): those, and
        // only those, are fetched again.
        assertTrue(stoppedOnes.size() >= 3 && stoppedOnes.size() <= keys - 3, "the stopped one owned some of the keys: " + stoppedOnes);
        assertEquals(stoppedOnes, refetched, "the stopped one's keys went to the others, the others' stayed cached");
    }

    /** How many of the first {@code keys} pages {@code member} fetched first. */
    private int owners(int keys, String member) {
        int n = 0;
        for (int k = 0; k < keys; k++) {
            n += member.equals(fetchedBy.get("/page-" + k).get(0)) ? 1 : 0;
        }
        return n;
    }

    @Test
    void aPurgeAtOneInstanceReachesEveryOneAlsoOneThatWasAway() throws Exception {
        assertEquals("/news v1", get(0, "/news"));
        version.set(2);
        RawClient.Response purge = send(1, "PURGE /news HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertEquals(200, purge.status());
        assertEquals(2, purge.header("X-Peers-Applied").split(", ").length, purge.bodyText());
        for (int m = 0; m < 3; m++) {
            assertEquals("/news v2", get(m, "/news"), "gone everywhere, fetched again once");
        }
        assertEquals(2, fetches("/news"));

        fleet[2].close(); // away during the next purge
        RawClient.Response partial = send(0, "PURGE /news HTTP/1.1\r\nHost: site.test\r\n\r\n");
        assertEquals(IPS[2] + ":" + ports[2], partial.header("X-Peers-Missed"), partial.bodyText());
        assertTrue(fleet[0].server().pendingPeerInvalidations() > 0, "kept to send again");
        fleet[2] = member(2);
        Eventually.until("the purge reached the returning instance",
                () -> fleet[0].server().pendingPeerInvalidations() == 0);
    }

    @Test
    void theAdminApisPurgeReachesThePeersToo() throws Exception {
        assertEquals("/feed v1", get(1, "/feed"));
        version.set(2);
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + fleet[0].server().adminPort()
                        + "/cache/purge?host=site.test&path=/feed")).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals(2, r.body().split(": applied").length - 1, r.body());
        for (int m = 0; m < 3; m++) {
            assertEquals("/feed v2", get(m, "/feed"));
        }
        assertEquals(2, fetches("/feed"));
    }

    /** A member as a process of its own, killed with SIGKILL (no drain, connections reset): the others go on. */
    @org.junit.jupiter.api.Tag("external")
    @Test
    void aKilledMemberProcessLosesNoRequestOfTheOthers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        fleet[2].close();
        fleet[2] = null;
        java.nio.file.Path conf = dir.resolve("member.conf");
        java.nio.file.Files.writeString(conf, memberConfig(2).replace("admin { enabled = true, bind = \"127.0.0.1\", port = 0 }", ""));
        try (io.ferry.testing.FerryProcess process = io.ferry.testing.FerryProcess.startOn(conf, IPS[2], ports[2], "-Xmx256m")) {
            for (int k = 0; k < 30; k++) {
                assertEquals("/item-" + k + " v1", get(k % 3, "/item-" + k));
            }
            process.signal("KILL");
            List<String> failures = new ArrayList<>();
            for (int k = 0; k < 30; k++) {
                String body = get(k % 2, "/item-" + k);
                if (!body.equals("/item-" + k + " v1")) {
                    failures.add("/item-" + k + ": " + body);
                }
            }
            assertEquals(List.of(), failures, "every request answered after the kill");
        }
    }

    /** cluster.local-ttl: non-owners keep a short copy of a hot object; a purge takes the copies too. */
    @Test
    void hotObjectsAreKeptBrieflyByNonOwnersAndPurgedEverywhere() throws Exception {
        clusterExtra = ", local-ttl = 60s";
        for (int i = 0; i < 3; i++) {
            fleet[i].close();
            fleet[i] = member(i);
        }
        for (int round = 0; round < 5; round++) {
            for (int m = 0; m < 3; m++) {
                assertEquals("/hot v1", get(m, "/hot"));
            }
        }
        assertEquals(1, fetches("/hot"), "fetched once for the fleet");
        for (int m = 0; m < 3; m++) {
            assertEquals(1, fleet[m].server().cache().objects(), "member " + m + " has the object or a copy of it");
        }
        version.set(2);
        assertEquals(200, send(2, "PURGE /hot HTTP/1.1\r\nHost: site.test\r\n\r\n").status());
        for (int m = 0; m < 3; m++) {
            assertEquals("/hot v2", get(m, "/hot"), "no copy survived the purge at member " + m);
        }
        assertEquals(2, fetches("/hot"));
    }
}
