package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.PhpFpm.Pm;
import io.ferry.testing.RawClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Without max-conns Ferry uses a php-fpm pool at its full size, whatever its size and process manager,
 * and leaves no request in php-fpm's backlog behind a connection it holds idle. The proof is a barrier:
 * barrier.php waits (up to a bound) until as many requests are inside PHP at once as the pool has
 * children, so it answers "met" only if Ferry let that many through together. More clients than
 * children come each round, and rounds repeat, so a request left in the backlog behind an idle kept
 * connection would wait until timeouts.server (a 504) instead. Four io threads: with max-conns, a connection kept
 * idle on one event loop holds a child that a request on another loop needs, and Ferry closes it
 * rather than open a connection php-fpm cannot serve. A round that cannot meet (a dynamic or ondemand pool
 * still growing) ends at one deadline for all its requests, so those queued behind it answer at once and
 * no client waits longer than a round.
 */
@Tag("external")
class PhpFpmPoolSizeTest {
    @TempDir
    Path dir;

    private static final String BARRIER = """
            <?php
            $dir = __DIR__ . '/barrier/' . preg_replace('/\\W/', '', $_GET['round']);
            @mkdir($dir, 0777, true);
            touch($dir . '/' . getmypid() . '-' . uniqid());
            $want = (int) $_GET['n'];
            // the round's deadline, not the request's: requests queued in php-fpm's backlog behind a round
            // that cannot meet (a pool still starting children) answer at once once it has passed
            $deadline = ((int) $_GET['until']) / 1000;
            do {
                $inside = count(scandir($dir)) - 2;
                if ($inside >= $want) {
                    break;
                }
                usleep(5000);
            } while (microtime(true) < $deadline);
            echo ($inside >= $want ? 'met ' : 'alone ') . $inside;
            """;

    private FerryHarness ferry(PhpFpm fpm, String backendExtra) throws Exception {
        Path root = Files.createDirectories(dir.resolve("site"));
        Files.writeString(root.resolve("barrier.php"), BARRIER);
        return FerryHarness.start(FerryHarness.siteConfig("""
                global.io-threads = 4
                backends.php {
                  type = fastcgi
                  servers = [ "%s" ]
                  fastcgi.document-root = "%s"
                  pool.idle-timeout = 30s
                  %s
                }
                routes = [ { backend = php } ]
                timeouts { server = 30s, shutdown = 1s }
                """).formatted(fpm.serverAddress(), root, backendExtra));
    }

    /**
     * Rounds of {@code clients} requests at once for a barrier of {@code children}, until one round finds
     * every child inside PHP together (a static pool: the first; dynamic and ondemand pools start their
     * children as the load asks, at php-fpm's own pace). Every answer must be a 200.
     */
    private static void allChildrenAtOnce(FerryHarness ferry, String name, int children, int clients) throws Exception {
        List<String> seen = new ArrayList<>();
        for (int round = 0; round < 25; round++) {
            String id = name + round;
            long until = System.currentTimeMillis() + 3_000; // php-fpm may still be starting children
            List<String> bodies = concurrently(clients, () -> {
                try (RawClient c = new RawClient(ferry.port())) {
                    c.send("GET /barrier.php?round=" + id + "&n=" + children + "&until=" + until + " HTTP/1.1\r\nHost: t\r\n\r\n");
                    RawClient.Response r = c.read();
                    assertEquals(200, r.status(), "no 5xx: " + r.bodyText());
                    return r.bodyText();
                }
            });
            seen.add(bodies.stream().filter(b -> b.startsWith("alone")).findFirst().orElse("met"));
            if (bodies.stream().allMatch(b -> b.startsWith("met"))) {
                return;
            }
        }
        throw new AssertionError("the pool's " + children + " children were never all used at once: " + seen);
    }

    private static List<String> concurrently(int clients, java.util.concurrent.Callable<String> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                results.add(pool.submit(call));
            }
            List<String> bodies = new ArrayList<>();
            for (Future<String> f : results) {
                bodies.add(f.get());
            }
            return bodies;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "pm = {0}, {1} children, unix socket {2}")
    @CsvSource({"STATIC, 5, false", "STATIC, 20, false", "STATIC, 50, true", "DYNAMIC, 20, false",
            "DYNAMIC, 20, true", "ONDEMAND, 20, true", "ONDEMAND, 50, false"})
    void everyChildOfThePoolIsUsedWithoutMaxConns(Pm pm, int children, boolean unix) throws Exception {
        try (PhpFpm fpm = PhpFpm.pool(dir, pm, children, unix);
             FerryHarness ferry = ferry(fpm, "")) {
            allChildrenAtOnce(ferry, "one", children, children + 5);
            allChildrenAtOnce(ferry, "two", children, children + 5);
            assertEquals(0, ferry.server().backends().get("php").servers().get(0).maxConns(),
                    "php-fpm does not say its size: no limit of Ferry's own");
        }
    }

    @Test
    void aPoolResizedByAPhpFpmReloadIsFollowed() throws Exception {
        try (PhpFpm fpm = PhpFpm.pool(dir, Pm.STATIC, 5, false);
             FerryHarness ferry = ferry(fpm, "")) {
            allChildrenAtOnce(ferry, "small", 5, 8);
            fpm.resize(Pm.DYNAMIC, 12);
            allChildrenAtOnce(ferry, "grown", 12, 15);
        }
    }

    @Test
    void maxConnsSetByHandStillWinsAndKeepsConnectionsAlive() throws Exception {
        try (PhpFpm fpm = PhpFpm.pool(dir, Pm.STATIC, 6, false);
             FerryHarness ferry = ferry(fpm, "max-conns = 6")) {
            allChildrenAtOnce(ferry, "one", 6, 10);
            allChildrenAtOnce(ferry, "two", 6, 10);
            var server = ferry.server().backends().get("php").servers().get(0);
            assertEquals(6, server.maxConns());
            assertTrue(server.openConnections() <= 6, "never more connections than children: " + server.openConnections());
        }
    }
}
