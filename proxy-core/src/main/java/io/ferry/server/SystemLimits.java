package io.ferry.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns at startup when the kernel would silently cap what the config asks for: open files
 * (each client connection can hold an upstream connection too) and the accept backlog.
 */
final class SystemLimits {
    private static final Logger log = LoggerFactory.getLogger(SystemLimits.class);

    private SystemLimits() {
    }

    static void check(int maxConnections, int largestBacklog) {
        long nofile = openFilesLimit();
        long needed = 2L * maxConnections + 256;
        if (nofile > 0 && nofile < needed) {
            log.warn("open files limit (ulimit -n) is {}, but global.max-connections={} needs about {} "
                    + "(a client and an upstream connection each). Fix: `ulimit -n {}` in the starting shell, "
                    + "LimitNOFILE={} in the systemd unit, or a nofile entry in /etc/security/limits.conf",
                    nofile, maxConnections, needed, needed, needed);
        }
        long somaxconn = readLong(Path.of("/proc/sys/net/core/somaxconn"));
        if (somaxconn > 0 && somaxconn < largestBacklog) {
            log.warn("net.core.somaxconn is {}, so the kernel caps the accept backlog ({}) to it. "
                    + "Fix: sysctl -w net.core.somaxconn={} (persist it in /etc/sysctl.d/)",
                    somaxconn, largestBacklog, largestBacklog);
        }
    }

    /** The soft RLIMIT_NOFILE of this process, or -1 where /proc does not tell. */
    static long openFilesLimit() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
                    return parts[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(parts[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    // Sysctl files answer only the first read(2) at offset 0; Files.readString may read one byte first
    // (it sizes its buffer from st_size, which is 0 for /proc) and would see "4" for 4096.
    private static long readLong(Path path) {
        try (var reader = Files.newBufferedReader(path)) {
            String line = reader.readLine();
            return line == null ? -1 : Long.parseLong(line.trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
