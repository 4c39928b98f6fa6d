package io.ferry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.Ferry;
import io.ferry.testing.Eventually;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as an operator runs it, in a separate JVM: exit codes and one-line messages. */
@Tag("external")
class CommandLineTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run ferry(String... args) throws Exception {
        return ferryWithEnv(java.util.Map.of(), args);
    }

    private Run ferryWithEnv(java.util.Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Ferry.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ferry did not exit");
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void checkAcceptsTheDefaultConfig() throws Exception {
        Run r = ferry("--check", "../conf/ferry.conf");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("is valid"), r.out());
    }

    @Test
    void checkRejectsABadConfigWithOneLineNamingTheKey() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, """
                ferry {
                  listeners = [ { port = 8000 } ]
                  backends.app.servers = [ "127.0.0.1:8080" ]
                  routes = [ { backend = app } ]
                  timeouts.server = forever
                }
                """);
        Run r = ferry("--check", conf.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("ferry: invalid configuration: ferry.timeouts.server:"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
    }

    @Test
    void portInUseStopsStartupNamingTheListener() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path conf = dir.resolve("busy.conf");
            Files.writeString(conf, """
                    ferry {
                      listeners = [ { bind = "127.0.0.1", port = %d } ]
                      backends.app.servers = [ "127.0.0.1:8080" ]
                      routes = [ { backend = app } ]
                    }
                    """.formatted(taken.getLocalPort()));
            Run r = ferry(conf.toString());
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("ferry: cannot start: ferry.listeners[0]: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort()), r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
        }
    }

    @Test
    void environmentVariablesOverrideTheFile() throws Exception {
        Run r = ferryWithEnv(java.util.Map.of("CONFIG_FORCE_ferry_timeouts_server", "never"),
                "--check", "../conf/ferry.conf");
        assertEquals(2, r.exit(), "the override reached the config");
        assertTrue(r.err().contains("ferry.timeouts.server"), r.err());
    }

    @Test
    void sighupReloadsTheConfigFileAndSigtermStopsGracefully() throws Exception {
        try (io.ferry.testing.TestOrigin a = io.ferry.testing.TestOrigin.start(r -> io.ferry.testing.TestOrigin.Reply.ok("a"));
             io.ferry.testing.TestOrigin b = io.ferry.testing.TestOrigin.start(r -> io.ferry.testing.TestOrigin.Reply.ok("b"))) {
            int port = freePort();
            Path conf = dir.resolve("live.conf");
            Files.writeString(conf, PROXY.formatted(port, a.port()));
            Process p = startFerry(List.of(), conf, dir.resolve("ferry.log"));
            try {
                assertEquals("a", fetchWhenUp(port));
                Files.writeString(conf, PROXY.formatted(port, b.port()));
                Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start();
                assertEquals(0, kill.waitFor());
                Eventually.until("SIGHUP switched the backend", () -> fetchWhenUp(port).equals("b"));
            } finally {
                p.destroy(); // SIGTERM: graceful shutdown
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
            String log = Files.readString(dir.resolve("ferry.log"));
            assertTrue(log.contains("configuration reloaded"), log);
            assertTrue(log.contains("Ferry stopped"), log);
        }
    }

    /**
     * Under nohup SIGHUP is ignored, and the JVM will not take it back: Ferry says so at start, where an
     * operator would otherwise wait for a reload that never comes.
     */
    @Test
    void aStartUnderNohupSaysThatSighupCannotReload() throws Exception {
        try (io.ferry.testing.TestOrigin a = io.ferry.testing.TestOrigin.start(r -> io.ferry.testing.TestOrigin.Reply.ok("a"))) {
            int port = freePort();
            Path conf = dir.resolve("nohup.conf");
            Files.writeString(conf, PROXY.formatted(port, a.port()));
            Path out = dir.resolve("nohup.log");
            Process p = startFerry(List.of("nohup"), conf, out);
            try {
                assertEquals("a", fetchWhenUp(port));
                String log = Files.readString(out);
                assertTrue(log.contains("SIGHUP is ignored in this process"), log);
            } finally {
                p.destroy();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            }
        }
    }

    /** A listener on {@code port} proxying everything to the origin on the second port. */
    private static final String PROXY = """
            ferry {
              listeners = [ { bind = "127.0.0.1", port = %d } ]
              backends.app.servers = [ "127.0.0.1:%d" ]
              routes = [ { backend = app } ]
            }
            """;

    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort();
        }
    }

    /** Ferry in a process of its own, behind {@code prefix} (a command such as nohup), its output in {@code log}. */
    private static Process startFerry(List<String> prefix, Path conf, Path log) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlogback.configurationFile=../conf/logback-example.xml",
                "-cp", System.getProperty("java.class.path"), Ferry.class.getName(), conf.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String fetchWhenUp(int port) throws Exception {
        Eventually.until("ferry listening on " + port, 20, () -> io.ferry.testing.Listening.on(port));
        try (io.ferry.testing.RawClient c = new io.ferry.testing.RawClient(port)) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            return c.read().bodyText();
        }
    }

    @Test
    void missingFileIsReported() throws Exception {
        Run r = ferry("--check", dir.resolve("nope.conf").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not found"), r.err());
    }

    @Test
    void unknownOptionIsAUsageError() throws IOException, Exception {
        assertEquals(64, ferry("--frobnicate").exit());
    }
}
