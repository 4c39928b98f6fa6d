package io.ferry.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import io.ferry.testing.FerryProcess;
import io.ferry.testing.KeepAliveLoad;
import io.ferry.testing.OriginProcess;
import io.ferry.testing.PhpFpm;
import io.ferry.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault drills under load, as an operator meets them: a server killed, reloads every second, php-fpm
 * restarted, the access log's disk full. Each prints its figure (README, "Fault drills"); every load
 * is bounded and loopback only.
 */
@Tag("external")
class FaultDrillsTest {
    @TempDir
    Path dir;

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: drill\r\n\r\n";
    }

    @Test
    void drill1KillingOneOfTwoServersFailsNoGet() throws Exception {
        try (OriginProcess a = OriginProcess.start(); OriginProcess b = OriginProcess.start();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     timeouts.connect = 1s
                     backends.app.passive-health.cooldown = 2s
                     """, a.port(), b.port())) {
            String fromA = "origin " + a.port();
            KeepAliveLoad load = new KeepAliveLoad(ferry.port(), 4, 60, i -> get("/drill1/" + i));
            Eventually.until("both servers answer", () -> load.bodies().getOrDefault(fromA, 0L) > 20
                    && load.ok() > 100);
            a.kill();
            long atKill = load.ok() + load.failed();
            Eventually.until("500 GETs while a is dead", () -> load.ok() + load.failed() > atKill + 500);
            a.restart();
            long aAtRestart = load.bodies().getOrDefault(fromA, 0L);
            // The passive cooldown (2 s) ends; a takes traffic again.
            Eventually.until("the restarted server answers", () -> load.bodies().getOrDefault(fromA, 0L) > aAtRestart);
            load.stop();
            long aAfter = load.bodies().getOrDefault(fromA, 0L) - aAtRestart;
            System.out.printf("drill 1 (SIGKILL one of two servers under keepalive GET load, restarted after 500 more "
                    + "GETs): %d GETs, %d failed; %d answered by the restarted server afterwards%n",
                    load.ok() + load.failed(), load.failed(), aAfter);
            assertEquals(0, load.failed(), "failed GETs: " + load.someFailures());
            assertTrue(aAfter > 0, "the restarted server is back in rotation");
        }
    }

    private static String config(int port, int origin, String serverTimeout) {
        return """
                ferry {
                  listeners = [ { name = http, bind = "127.0.0.1", port = %d } ]
                  backends.app.servers = [ "127.0.0.1:%d" ]
                  routes = [ { backend = app } ]
                  timeouts { server = %s, shutdown = 2s }
                }
                """.formatted(port, origin, serverTimeout);
    }

    @Test
    void drill2ReloadingEverySecondUnderLoadLosesNothing() throws Exception {
        try (TestOrigin x = TestOrigin.start(r -> TestOrigin.Reply.ok("x"));
             TestOrigin y = TestOrigin.start(r -> TestOrigin.Reply.ok("y"))) {
            int port = OriginProcess.freePort();
            Path conf = dir.resolve("ferry.conf");
            Files.writeString(conf, config(port, x.port(), "30s"));
            try (FerryProcess ferry = FerryProcess.start(conf, port, "-Xmx256m",
                    "-Dlogback.configurationFile=" + Path.of("../conf/logback-example.xml").toAbsolutePath())) {
                KeepAliveLoad load = new KeepAliveLoad(port, 4, 60, i -> get("/drill2/" + i));
                int reloads = 15;
                for (int i = 1; i <= reloads; i++) {
                    long served = load.ok();
                    Eventually.until("100 requests between reloads", () -> load.ok() > served + 100);
                    Files.writeString(conf, i % 2 == 1 ? config(port, y.port(), "31s") : config(port, x.port(), "30s"));
                    ferry.signal("HUP");
                    int reload = i;
                    Eventually.until("reload " + i + " applied", () -> reloadsApplied(ferry) >= reload);
                }
                long served = load.ok();
                Eventually.until("100 requests after the last reload", () -> load.ok() > served + 100);
                load.stop();
                long applied = reloadsApplied(ferry);
                System.out.printf("drill 2 (SIGHUP %d times under keepalive load, each after 100 requests on the last "
                        + "config, config alternating): "
                        + "%d reloads applied, %d requests, %d failed, %d connections dropped; answers %s%n",
                        reloads, applied, load.ok() + load.failed(), load.failed(), load.dropped(), load.bodies());
                assertEquals(0, load.failed(), "failures: " + load.someFailures());
                assertEquals(0, load.dropped());
                assertEquals(reloads, applied, ferry.output());
                assertTrue(load.bodies().getOrDefault("x", 0L) > 0 && load.bodies().getOrDefault("y", 0L) > 0,
                        "both configurations served: " + load.bodies());
            }
        }
    }

    private static long reloadsApplied(FerryProcess ferry) throws java.io.IOException {
        return ferry.output().lines().filter(l -> l.contains("configuration reloaded")).count();
    }

    @Test
    void drill3RestartingPhpFpmUnderLoadFailsOnlyInFlightPosts() throws Exception {
        PhpFpm fpm = PhpFpm.onTcp(dir, 4);
        Path root = Files.createDirectories(dir.resolve("site"));
        Files.writeString(root.resolve("ping.php"), "<?php usleep(2000); echo 'pong';");
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                backends.php { type = fastcgi, servers = [ "%s" ], fastcgi.document-root = "%s", max-conns = 4 }
                routes = [ { backend = php } ]
                timeouts.shutdown = 1s
                """).formatted(fpm.serverAddress(), root))) {
            KeepAliveLoad gets = new KeepAliveLoad(ferry.port(), 3, 60, i -> get("/ping.php?g=" + i));
            KeepAliveLoad posts = new KeepAliveLoad(ferry.port(), 1, 60,
                    i -> "POST /ping.php HTTP/1.1\r\nHost: drill\r\nContent-Length: 5\r\n\r\nhello");
            Eventually.until("GETs and POSTs answered", () -> gets.ok() > 50 && posts.ok() > 10);
            fpm.stop();
            fpm.start();
            long getsAtStart = gets.ok();
            long postsAtStart = posts.ok();
            Eventually.until("the restarted php-fpm answers GETs and POSTs",
                    () -> gets.ok() > getsAtStart + 100 && posts.ok() > postsAtStart + 20);
            gets.stop();
            posts.stop();
            System.out.printf("drill 3 (php-fpm restarted under GET and POST load): %d GETs, %d failed; "
                    + "%d POSTs, %d failed (in flight at the stop)%n", gets.ok() + gets.failed(), gets.failed(),
                    posts.ok() + posts.failed(), posts.failed());
            assertEquals(0, gets.failed(), "GETs are retried: " + gets.someFailures());
            assertTrue(posts.failed() <= 1, "only the one POST in flight may fail: " + posts.someFailures());
            assertTrue(gets.ok() > 0 && posts.ok() > 0);
        } finally {
            fpm.close();
        }
    }

    @Test
    void drill4AFullAccessLogDiskDropsLinesNotRequests() throws Exception {
        try (TestOrigin origin = TestOrigin.echoUri();
             FerryHarness ferry = FerryHarness.proxyTo("""
                     access-log { enabled = true, path = "/dev/full" }
                     """, origin.port())) {
            KeepAliveLoad load = new KeepAliveLoad(ferry.port(), 2, 60, i -> get("/drill4/" + i));
            Eventually.until("500 requests", () -> load.ok() + load.failed() > 500);
            load.stop();
            String[] dropped = {""};
            Eventually.until("the lost lines counted", () -> {
                dropped[0] = ferry.server().metrics().scrape().lines()
                        .filter(l -> l.startsWith("ferry_access_log_dropped_lines_total ") && !l.endsWith(" 0.0"))
                        .findFirst().orElse("");
                return !dropped[0].isEmpty();
            });
            System.out.printf("drill 4 (access log on a full disk, /dev/full): %d requests, %d failed; %s%n",
                    load.ok() + load.failed(), load.failed(), dropped[0]);
            assertEquals(0, load.failed(), "requests keep flowing: " + load.someFailures());
            assertTrue(load.ok() > 100);
        }
    }
}
