package io.ferry.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code global.jit-priority}: gives the JVM's JIT compiler threads a nice value once the listeners are open.
 * Right after a start C2 still has most of the request path to compile, and on a core shared with full load the
 * scheduler gives it no more than an event loop, so full speed waits for it; at a higher priority it finishes in
 * the first seconds (BENCHMARKS.md, "The JIT compilers' priority after a start"). Compiler threads are idle once
 * the code is compiled, so the steady state does not change. The JVM's own {@code -XX:CompilerThreadPriority} would
 * apply from the JVM's start and delay the port instead; Java has no call for another thread's nice, so the
 * util-linux {@code renice} does it, once, on a thread of its own. Linux only; elsewhere, or without the
 * permission to lower a nice value (root, CAP_SYS_NICE, or RLIMIT_NICE), the compilers stay as they are.
 */
final class JitPriority {
    private static final Logger log = LoggerFactory.getLogger(JitPriority.class);
    private static final Path TASKS = Path.of("/proc/self/task");
    /** The nice value last asked for in this JVM; 0 while none was (several servers in one JVM ask once). */
    private static final AtomicInteger asked = new AtomicInteger();

    private JitPriority() {
    }

    /** What an attempt did: the compiler threads it found and how many now have the nice value. */
    record Result(int nice, int compilers, int reached, String problem) {
        static final Result NOTHING_TO_DO = new Result(0, 0, 0, "");

        boolean applied() {
            return compilers > 0 && reached == compilers;
        }
    }

    /** Gives the compiler threads {@code nice} (0: leaves them alone), off the calling thread. */
    static CompletableFuture<Result> apply(int nice) {
        if (nice == 0 || asked.getAndSet(nice) == nice || !Files.isDirectory(TASKS)) {
            return CompletableFuture.completedFuture(Result.NOTHING_TO_DO);
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        Thread t = new Thread(() -> done.complete(renice(nice)), "ferry-jit-priority");
        t.setDaemon(true);
        t.start();
        return done;
    }

    /** Gives the compiler threads {@code nice} now, on the calling thread (a test restores its JVM's with it). */
    static Result renice(int nice) {
        List<String> compilers = compilerThreads();
        if (compilers.isEmpty()) {
            return new Result(nice, 0, 0, "no JIT compiler threads found (an interpreter-only JVM?)");
        }
        String problem = "";
        List<String> command = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        command.addAll(compilers);
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
        for (String tid : compilers) {
            if (niceOf(tid) == nice) {
                reached++;
            }
        }
        Result result = new Result(nice, compilers.size(), reached, problem);
        if (result.applied()) {
            log.info("JIT compiler threads at nice {} (global.jit-priority)", nice);
        } else {
            log.info("global.jit-priority: the JIT compiler threads could not be given nice {} ({}); lowering a nice"
                    + " value needs root, CAP_SYS_NICE or a nice limit (systemd: LimitNICE={}). Full speed after a"
                    + " start then takes a little longer.", nice, problem.isEmpty() ? "unchanged" : problem, nice);
        }
        return result;
    }

    /** Forgets what was asked, so the next {@link #apply} acts again. */
    static void forget() {
        asked.set(0);
    }

    /** Thread ids of this JVM's C1 and C2 compiler threads (their names, cut to 15 characters by the kernel). */
    static List<String> compilerThreads() {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String name = read(task.resolve("comm"));
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                    ids.add(task.getFileName().toString());
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
