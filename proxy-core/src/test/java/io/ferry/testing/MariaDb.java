package io.ferry.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway MariaDB server for a test (Debian's mariadb-server): its own data directory, a unix
 * socket, no network, no grants (loopback tests only), stopped on close.
 */
public final class MariaDb implements AutoCloseable {
    private final Path socket;
    private final Process process;

    private MariaDb(Path socket, Process process) {
        this.socket = socket;
        this.process = process;
    }

    public static MariaDb start(Path dir) throws IOException, InterruptedException {
        for (String bin : new String[] {"/usr/bin/mariadb-install-db", "/usr/sbin/mariadbd", "/usr/bin/mariadb"}) {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " not found: install Debian's mariadb-server (bin/test does)");
            }
        }
        Path data = dir.resolve("db");
        Path socket = dir.resolve("db.sock");
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> install = new ArrayList<>(List.of("/usr/bin/mariadb-install-db", "--no-defaults",
                "--datadir=" + data, "--skip-test-db", "--auth-root-authentication-method=normal"));
        List<String> server = new ArrayList<>(List.of("/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + data,
                "--socket=" + socket, "--skip-networking", "--skip-grant-tables", "--pid-file=" + dir.resolve("db.pid"),
                "--log-error=" + dir.resolve("db.err")));
        if (root) {
            install.add("--user=root");
            server.add("--user=root");
        }
        run(install, dir.resolve("db-install.log"));
        Process p = new ProcessBuilder(server).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("db.out").toFile()).start();
        Eventually.until("mariadbd listening", 30, () -> {
            if (!p.isAlive()) {
                throw new IOException("mariadbd did not start: " + Files.readString(dir.resolve("db.out")));
            }
            return Files.exists(socket);
        });
        return new MariaDb(socket, p);
    }

    private static void run(List<String> cmd, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + Files.readString(log));
        }
    }

    public Path socket() {
        return socket;
    }

    /** Runs SQL with the command-line client. */
    public void sql(String statement, Path dir) throws IOException, InterruptedException {
        run(List.of("/usr/bin/mariadb", "--no-defaults", "-S", socket.toString(), "-e", statement),
                dir.resolve("sql.log"));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
