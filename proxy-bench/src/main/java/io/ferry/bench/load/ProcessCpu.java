package io.ferry.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time used so far by processes and all their descendants (a server's workers, the JVM under a launcher
 * script), read from Linux's /proc: so a run can say how busy the server was while it measured, not around it.
 */
final class ProcessCpu {
    /** /proc reports clock ticks of USER_HZ, which Linux fixes at 100 for user space. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessCpu() {
    }

    /** Nanoseconds of user and system time of these processes and their descendants; -1 if none can be read. */
    static long nanos(List<Long> pids) {
        long ticks = 0;
        boolean any = false;
        for (long pid : pids) {
            ProcessHandle root = ProcessHandle.of(pid).orElse(null);
            if (root == null) {
                continue;
            }
            long own = ticks(root.pid());
            if (own >= 0) {
                ticks += own;
                any = true;
            }
            for (ProcessHandle d : (Iterable<ProcessHandle>) root.descendants()::iterator) {
                ticks += Math.max(0, ticks(d.pid()));
            }
        }
        return any ? ticks * NANOS_PER_TICK : -1;
    }

    /** utime + stime (fields 14 and 15) of /proc/PID/stat; the name in field 2 may hold spaces, so count after ')'. */
    static long ticks(long pid) {
        try {
            return ticksOf(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long ticksOf(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
