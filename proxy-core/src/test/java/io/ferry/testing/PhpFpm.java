package io.ferry.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real php-fpm (Debian's php8.2-fpm) started by a test with its own pool, listening on a loopback
 * port or a unix socket. `bin/test` and .ci/run install it; without it these tests fail loudly.
 */
public final class PhpFpm implements AutoCloseable {
    private final Path dir;
    private final Path config;
    private final String listen;
    private final List<String> extensions;
    /** Environment of the php-fpm process, which its workers keep (clear_env = no). */
    private final java.util.Map<String, String> environment = new java.util.HashMap<>();
    private Process process;

    /** php-fpm's process managers: children started at once, as load needs them, or per connection. */
    public enum Pm { STATIC, DYNAMIC, ONDEMAND }

    private PhpFpm(Path dir, String listen, int maxChildren, List<String> extensions) throws IOException {
        this(dir, listen, Pm.STATIC, maxChildren, extensions);
    }

    private PhpFpm(Path dir, String listen, Pm pm, int maxChildren, List<String> extensions) throws IOException {
        this.dir = dir;
        this.listen = listen;
        this.extensions = extensions;
        this.config = dir.resolve("php-fpm-" + Math.abs(listen.hashCode()) + ".conf");
        writeConfig(pm, maxChildren);
    }

    private void writeConfig(Pm pm, int maxChildren) throws IOException {
        String manager = switch (pm) {
            case STATIC -> "pm = static\n";
            case DYNAMIC -> "pm = dynamic\npm.start_servers = 2\npm.min_spare_servers = 2\npm.max_spare_servers = "
                    + Math.min(8, maxChildren) + "\n";
            case ONDEMAND -> "pm = ondemand\npm.process_idle_timeout = 30s\n";
        };
        Files.writeString(config, """
                [global]
                pid = %1$s/php-fpm-%2$d.pid
                error_log = %1$s/php-fpm-%2$d.log
                daemonize = no
                log_level = notice

                [test]
                listen = %3$s
                %5$spm.max_children = %4$d
                catch_workers_output = yes
                decorate_workers_output = no
                clear_env = no
                php_admin_value[memory_limit] = 256M
                php_admin_value[post_max_size] = 64M
                php_admin_value[upload_max_filesize] = 64M
                php_admin_value[output_buffering] = 0
                php_admin_flag[log_errors] = on
                """.formatted(dir, Math.abs(listen.hashCode()), listen, maxChildren, manager));
    }

    /** Starts php-fpm with the given process manager, on a loopback port or a unix socket in {@code dir}. */
    public static PhpFpm pool(Path dir, Pm pm, int maxChildren, boolean unixSocket) throws IOException {
        String listen;
        if (unixSocket) {
            listen = dir.resolve("fpm.sock").toString();
        } else {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                listen = "127.0.0.1:" + s.getLocalPort();
            }
        }
        PhpFpm fpm = new PhpFpm(dir, listen, pm, maxChildren, List.of());
        fpm.start();
        return fpm;
    }

    /**
     * Changes the pool's size and reloads php-fpm gracefully (SIGUSR2, as {@code systemctl reload} does);
     * returns once the reloaded master says it is ready.
     */
    public void resize(Pm pm, int maxChildren) throws IOException, InterruptedException {
        Path log = dir.resolve("php-fpm-" + Math.abs(listen.hashCode()) + ".log");
        long readyBefore = readyLines(log);
        writeConfig(pm, maxChildren);
        Process kill = new ProcessBuilder("kill", "-USR2", Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -USR2 failed");
        }
        Eventually.until("php-fpm reloaded (its log says it is ready again)", () -> readyLines(log) > readyBefore);
    }

    private static long readyLines(Path log) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (java.util.stream.Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains("ready to handle connections")).count();
        }
    }

    /** Starts php-fpm on 127.0.0.1 at a free port. */
    /** Copies the test PHP site (src/test/resources/php-site) to {@code root}, for a document root. */
    public static Path copyTestSite(Path root) throws IOException {
        Path source;
        try {
            source = Path.of(PhpFpm.class.getResource("/php-site").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        try (java.util.stream.Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = root.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return root;
    }

    public static PhpFpm onTcp(Path dir, int maxChildren) throws IOException {
        return onTcp(dir, maxChildren, List.of());
    }

    /** The same, loading extensions and with environment variables its scripts see (getenv). */
    public static PhpFpm onTcp(Path dir, int maxChildren, List<String> extensions, java.util.Map<String, String> env)
            throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        PhpFpm fpm = new PhpFpm(dir, "127.0.0.1:" + port, maxChildren, extensions);
        fpm.environment.putAll(env);
        fpm.start();
        return fpm;
    }

    /** The same, loading shared PHP extensions (php-fpm runs without php.ini), e.g. mysqlnd, mysqli. */
    public static PhpFpm onTcp(Path dir, int maxChildren, List<String> extensions) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        PhpFpm fpm = new PhpFpm(dir, "127.0.0.1:" + port, maxChildren, extensions);
        fpm.start();
        return fpm;
    }

    /** Starts php-fpm on a unix socket in {@code dir}. */
    public static PhpFpm onUnixSocket(Path dir, int maxChildren) throws IOException {
        PhpFpm fpm = new PhpFpm(dir, dir.resolve("fpm.sock").toString(), maxChildren, List.of());
        fpm.start();
        return fpm;
    }

    public static String binary() {
        String env = System.getenv("PHP_FPM");
        for (String candidate : new String[] {env, "/usr/sbin/php-fpm8.2", "/usr/sbin/php-fpm", "/usr/bin/php-fpm8.2"}) {
            if (candidate != null && Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("php-fpm not found: install Debian's php8.2-fpm (bin/test does) "
                + "or set PHP_FPM to its path");
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** host:port, or the socket path. */
    public String listen() {
        return listen;
    }

    /** The backend server string for Ferry's config. */
    public String serverAddress() {
        return listen.startsWith("/") ? "unix:" + listen : listen;
    }

    public int port() {
        return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }

    public void start() throws IOException {
        if (listen.startsWith("/")) {
            Files.deleteIfExists(Path.of(listen));
        }
        List<String> cmd = new ArrayList<>(List.of(binary(), "-n", "-F", "-y", config.toString()));
        for (String e : extensions) {
            cmd.add("-d");
            cmd.add("extension=" + e);
        }
        if (isRoot()) {
            cmd.add("-R"); // CI runs as root; the pool then runs as root too, inside the sandbox
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(environment);
        process = pb.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("php-fpm.out").toFile())).start();
        Eventually.until("php-fpm listening on " + listen, () -> {
            if (!process.isAlive()) {
                String out = Files.exists(dir.resolve("php-fpm.out")) ? Files.readString(dir.resolve("php-fpm.out")) : "";
                throw new IllegalStateException("php-fpm did not start listening on " + listen + ":\n" + out);
            }
            return listening();
        });
    }

    private boolean listening() {
        if (listen.startsWith("/")) {
            return Files.exists(Path.of(listen));
        }
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops php-fpm and waits for it to exit. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
