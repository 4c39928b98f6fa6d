package io.ferry.server;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code global.gc-priority}: the nice value of the threads that do the JVM's stop-the-world work: the collector's
 * worker threads and the VM thread that brings the JVM to a safepoint. While they run no event loop can, so every
 * connection waits for them; on a core shared with other busy processes (an origin, php-fpm workers) the scheduler
 * gives them only their share, and a young collection of a few milliseconds of work takes several times that
 * (BENCHMARKS.md, session 30). They sleep outside a pause, so a higher priority takes nothing from anyone the rest of
 * the time. ParallelGC's concurrent-free design makes these all of its threads; G1's concurrent threads ("G1 Conc",
 * "G1 Refine") are left alone, as they run beside the event loops. Applied once the listeners are open, off the
 * starting thread; bin/ferry starts every collector thread with the JVM (-XX:-UseDynamicNumberOfGCThreads), so none
 * comes later at the default priority.
 */
final class GcPriority {
    /** Thread names as the kernel shows them (15 characters). */
    private static final String[] STOP_THE_WORLD = {"GC Thread#", "VM Thread"};
    /** The nice value last asked for in this JVM; 0 while none was (several servers in one JVM ask once). */
    private static final AtomicInteger asked = new AtomicInteger();

    private GcPriority() {
    }

    /** Gives the stop-the-world threads {@code nice} off the calling thread; 0 leaves them alone. */
    static CompletableFuture<ThreadNice.Result> apply(int nice) {
        if (nice == 0 || !ThreadNice.available() || asked.getAndSet(nice) == nice) {
            return CompletableFuture.completedFuture(ThreadNice.Result.NOTHING_TO_DO);
        }
        CompletableFuture<ThreadNice.Result> done = new CompletableFuture<>();
        Thread t = new Thread(() -> done.complete(renice(nice)), "ferry-gc-priority");
        t.setDaemon(true);
        t.start();
        return done;
    }

    /** On the calling thread (a test restores its JVM's with it). */
    static ThreadNice.Result renice(int nice) {
        return ThreadNice.renice(nice, "stop-the-world GC threads", "global.gc-priority", STOP_THE_WORLD);
    }

    static List<String> threads() {
        return ThreadNice.threads(STOP_THE_WORLD);
    }

    /** Forgets what was asked, so the next {@link #apply} acts again. */
    static void forget() {
        asked.set(0);
    }
}
