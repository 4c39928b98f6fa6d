package io.ferry.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nice value of some of this JVM's own threads, found by name in /proc/self/task. Java has no call for another
 * thread's nice, so the util-linux {@code renice} sets it. Linux only; lowering a nice value needs root,
 * CAP_SYS_NICE or RLIMIT_NICE (raising one does not).
 */
final class ThreadNice {
    private static final Logger log = LoggerFactory.getLogger(ThreadNice.class);
    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadNice() {
    }

    /** What an attempt did: the threads it found and how many now have the nice value. */
    record Result(int nice, int threads, int reached, String problem) {
        static final Result NOTHING_TO_DO = new Result(0, 0, 0, "");

        boolean applied() {
            return threads > 0 && reached == threads;
        }
    }

    static boolean available() {
        return Files.isDirectory(TASKS);
    }

    /**
     * Gives the threads whose names start with one of {@code prefixes} (as the kernel shows them: 15 characters)
     * {@code nice} now, on the calling thread; {@code what} and {@code key} name them and their setting in the log.
     */
    static Result renice(int nice, String what, String key, String... prefixes) {
        List<String> ids = threads(prefixes);
        if (ids.isEmpty()) {
            return new Result(nice, 0, 0, "no " + what + " found");
        }
        String problem = "";
        List<String> command = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        command.addAll(ids);
        try {
            ProcessBuilder renice = new ProcessBuilder(command).redirectErrorStream(true);
            renice.environment().remove("POSIXLY_CORRECT"); // it would make -n an increment
            Process p = renice.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problem = "renice did not finish within 10 s";
            } else if (p.exitValue() != 0) {
                problem = output.lines().reduce((a, b) -> b).orElse("renice exited with " + p.exitValue());
            }
        } catch (IOException e) {
            problem = "cannot run renice: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = "interrupted";
        }
        int reached = 0;
        for (String tid : ids) {
            if (niceOf(tid) == nice) {
                reached++;
            }
        }
        Result result = new Result(nice, ids.size(), reached, problem);
        if (result.applied()) {
            log.info("{} at nice {}", what, nice);
        } else if (nice >= 0) {
            log.info("the {} could not be given nice {} ({})", what, nice, problem.isEmpty() ? "unchanged" : problem);
        } else {
            log.info("{}: the {} could not be given nice {} ({}); lowering a nice value needs root, CAP_SYS_NICE or a"
                    + " nice limit (systemd: LimitNICE={})", key, what, nice, problem.isEmpty() ? "unchanged" : problem, nice);
        }
        return result;
    }

    /** Thread ids of this JVM's threads whose names start with one of {@code prefixes}. */
    static List<String> threads(String... prefixes) {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name = read(task.resolve("comm"));
                for (String prefix : prefixes) {
                    if (name.startsWith(prefix)) {
                        ids.add(task.getFileName().toString());
                        break;
                    }
                }
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", TASKS, e.toString());
        }
        return ids;
    }

    /** A thread's nice value (field 19 of its stat line), or Integer.MIN_VALUE when it is gone. */
    static int niceOf(String tid) {
        String stat = read(TASKS.resolve(tid).resolve("stat"));
        int end = stat.lastIndexOf(')'); // the name in parentheses may hold spaces
        if (end < 0) {
            return Integer.MIN_VALUE;
        }
        String[] fields = stat.substring(end + 2).trim().split(" ");
        return fields.length > 16 ? Integer.parseInt(fields[16]) : Integer.MIN_VALUE;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
