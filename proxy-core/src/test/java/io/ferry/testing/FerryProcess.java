package io.ferry.testing;

import io.ferry.Ferry;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ferry as the operator runs it — its own JVM, started from a config file, signalled with kill — for
 * drills that need signals or more sockets than one test process may hold.
 */
public final class FerryProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private FerryProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts Ferry on {@code config} and waits until {@code port} accepts connections. */
    public static FerryProcess start(Path config, int port, String... jvmOptions) throws IOException,
            InterruptedException {
        return startOn(config, "127.0.0.1", port, jvmOptions);
    }

    /** Starts Ferry on {@code config} and waits until {@code host:port} accepts connections. */
    public static FerryProcess startOn(Path config, String host, int port, String... jvmOptions) throws IOException,
            InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Ferry.class.getName(), config.toString()));
        Path log = config.resolveSibling(config.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        FerryProcess f = new FerryProcess(p, log);
        try {
            Eventually.until("ferry listening on " + port, 30, () -> {
                if (!p.isAlive()) {
                    throw new IOException("ferry exited with " + p.exitValue() + ": " + f.output());
                }
                return Listening.on(host, port);
            });
        } catch (AssertionError | RuntimeException e) {
            f.close();
            throw new IOException("ferry did not listen on " + port + ": " + f.output(), e);
        }
        return f;
    }

    /**
     * Starts Ferry with {@code --upgrade} on {@code config}: it takes over from the Ferry running on the config's
     * handover socket. Returns once it accepts (it writes FERRY_READY_FILE, as for bin/ferry upgrade); throws with
     * its output if it exits instead.
     */
    public static FerryProcess upgrade(Path config, String... jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Ferry.class.getName(), "--upgrade",
                config.toString()));
        Path log = config.resolveSibling(config.getFileName() + ".upgrade.log");
        Path ready = config.resolveSibling(config.getFileName() + ".ready");
        Files.deleteIfExists(ready);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("FERRY_READY_FILE", ready.toString());
        Process p = pb.start();
        FerryProcess f = new FerryProcess(p, log);
        Eventually.until("the upgrade done or failed", 60, () -> !p.isAlive() || Files.exists(ready) && Files.size(ready) > 0);
        if (!p.isAlive()) {
            throw new IOException("ferry --upgrade exited with " + p.exitValue() + ": " + f.output());
        }
        return f;
    }

    /** Waits up to {@code seconds} for the process to exit by itself; its exit code, or -1 if it is still running. */
    public int awaitExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Sends a signal by name (HUP, USR1) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " failed");
        }
    }

    /** Resident memory of the process in KiB, from /proc. */
    public long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid());
    }

    /** What Ferry logged so far. */
    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: graceful shutdown
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
