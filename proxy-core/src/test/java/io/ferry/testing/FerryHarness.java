package io.ferry.testing;

import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.server.FerryServer;
import java.net.URI;
import java.nio.file.Path;

/** Starts a real Ferry on loopback with ephemeral ports from a config written in the test. */
public final class FerryHarness implements AutoCloseable {
    private final FerryServer server;

    private FerryHarness(FerryServer server) {
        this.server = server;
    }

    /** Starts Ferry from a full config text (a {@code ferry { ... }} document). */
    public static FerryHarness start(String config) {
        return start(config, System::currentTimeMillis);
    }

    /** The same, with the cache on {@code cacheClock} (epoch millis): the test moves time, nothing sleeps. */
    public static FerryHarness start(String config, java.util.function.LongSupplier cacheClock) {
        // No warm-up unless the test asks for one: hundreds of starts would each spend it. Nor a renice of the
        // test JVM's compiler or collector threads (JitPriorityTest and GcPriorityTest ask for one).
        FerryConfig parsed = ConfigLoader.parse("ferry.global.warm-up = 0s\nferry.global.jit-priority = 0\n"
                + "ferry.global.jit-steady-priority = 0\nferry.global.gc-priority = 0\n" + config, Path.of("."));
        return new FerryHarness(FerryServer.start(parsed, cacheClock));
    }

    /** The listener every test site has: plain HTTP named http on 127.0.0.1, a free port. */
    public static final String LISTENER = "listeners = [ { name = http, bind = \"127.0.0.1\", port = 0 } ]";

    /**
     * A whole config: the one test listener ({@link #LISTENER}) and {@code body} (backends, routes, the rest)
     * inside {@code ferry { }}. The one way tests write a site, so the listener block is not copied around.
     */
    public static String siteConfig(String body) {
        // jit-priority 0: the suite's JVM compiles all the time, and compilers at -10 would take the cores from
        // the tests, at 10 leave them waiting (a body may set them: JitPriorityTest)
        return "ferry {\n  " + LISTENER + "\n  access-log.enabled = false\n  global.jit-priority = 0\n"
                + "  global.jit-steady-priority = 0\n  global.gc-priority = 0\n" + body + "\n}\n";
    }

    /** Starts Ferry on {@link #siteConfig}. */
    public static FerryHarness site(String body) {
        return start(siteConfig(body));
    }

    /** Starts Ferry from a config file, as bin/ferry does: reloads (SIGHUP, admin) re-read it. */
    public static FerryHarness startFile(Path file) {
        return new FerryHarness(FerryServer.start(ConfigLoader.load(file)));
    }

    /**
     * A proxy with one plain listener named http on 127.0.0.1:0, one backend "app" to the given origin
     * ports, a catch-all route, and {@code extra} HOCON merged inside {@code ferry { }}.
     */
    public static FerryHarness proxyTo(String extra, int... originPorts) {
        return proxyTo(System::currentTimeMillis, extra, originPorts);
    }

    /** {@link #proxyTo(String, int...)} with the cache on {@code cacheClock}. */
    public static FerryHarness proxyTo(java.util.function.LongSupplier cacheClock, String extra, int... originPorts) {
        StringBuilder servers = new StringBuilder();
        for (int p : originPorts) {
            servers.append(servers.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p).append('"');
        }
        return start(siteConfig("  backends.app.servers = [ " + servers + " ]\n"
                + "  routes = [ { backend = app } ]\n"
                + "  timeouts.shutdown = 2s\n"
                + extra), cacheClock);
    }

    public FerryServer server() {
        return server;
    }

    /** The first server of a backend of the running configuration (its pool, health and counters). */
    public io.ferry.upstream.ServerPool firstServer(String backend) {
        return server.backends().get(backend).servers().get(0);
    }

    public int port() {
        return server.port("http");
    }

    public int port(String listener) {
        return server.port(listener);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
