package io.ferry.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code global.jit-priority}: gives the JVM's JIT compiler threads a nice value once the listeners are open, and
 * {@code global.jit-steady-priority} once {@code global.jit-priority-for} has passed. Right after a start C2 still
 * has most of the request path to compile, and on a core shared with full load the scheduler gives it no more than
 * an event loop, so full speed waits for it; at a higher priority it finishes in the first seconds (BENCHMARKS.md,
 * "The JIT compilers' priority after a start"). Later a new kind of traffic (large bodies after small ones, many
 * connections after few) makes C2 recompile what its profile had not seen; at that priority each compilation then
 * takes the core from the event loops for tens of milliseconds, and the clients see it as a tail (BENCHMARKS.md,
 * "The tail after a change of traffic"), so once started the compilers run below the event loops instead. The
 * JVM's own {@code -XX:CompilerThreadPriority} would apply from the JVM's start and delay the port, so
 * {@link ThreadNice} does it, on a thread of its own; without the permission to lower a nice value the compilers
 * keep theirs.
 */
final class JitPriority {
    /** The compiler threads' names, cut to 15 characters by the kernel. */
    private static final String[] COMPILERS = {"C1 CompilerThre", "C2 CompilerThre"};
    /** The nice value last asked for in this JVM; 0 while none was (several servers in one JVM ask once). */
    private static final AtomicInteger asked = new AtomicInteger();

    private JitPriority() {
    }

    /** What a start asked for: the start's nice value, then the steady one; {@link #cancel} stops the second. */
    static final class Plan {
        private final CompletableFuture<ThreadNice.Result> started = new CompletableFuture<>();
        private final CompletableFuture<ThreadNice.Result> steady = new CompletableFuture<>();
        private volatile Thread worker;

        /** What the start's nice value did. */
        CompletableFuture<ThreadNice.Result> started() {
            return started;
        }

        /** What the steady nice value did, once {@code global.jit-priority-for} has passed. */
        CompletableFuture<ThreadNice.Result> steady() {
            return steady;
        }

        /** The server stops: the steady value is not applied (it would act on a JVM the server has left). */
        void cancel() {
            Thread t = worker;
            if (t != null) {
                t.interrupt();
            }
            steady.complete(ThreadNice.Result.NOTHING_TO_DO);
        }
    }

    /**
     * Gives the compiler threads {@code nice} now and {@code steadyNice} after {@code window}, off the calling
     * thread. {@code nice} 0 leaves them alone at the start; a zero window keeps {@code nice} for good; both values
     * 0 leave them alone throughout.
     */
    static Plan apply(int nice, Duration window, int steadyNice) {
        Plan plan = new Plan();
        boolean steadyStep = !window.isZero() && (nice != 0 || steadyNice != 0) && steadyNice != nice;
        if ((nice == 0 && !steadyStep) || !ThreadNice.available()) {
            plan.started.complete(ThreadNice.Result.NOTHING_TO_DO);
            plan.steady.complete(ThreadNice.Result.NOTHING_TO_DO);
            return plan;
        }
        Thread t = new Thread(() -> {
            plan.started.complete(nice == 0 ? ThreadNice.Result.NOTHING_TO_DO : reniceOnce(nice));
            if (!steadyStep) {
                plan.steady.complete(ThreadNice.Result.NOTHING_TO_DO);
                return;
            }
            try {
                Thread.sleep(window.toMillis()); // a thread of its own that does nothing else
            } catch (InterruptedException e) {
                plan.steady.complete(ThreadNice.Result.NOTHING_TO_DO);
                return;
            }
            plan.steady.complete(reniceOnce(steadyNice));
        }, "ferry-jit-priority");
        t.setDaemon(true);
        plan.worker = t;
        t.start();
        return plan;
    }

    /** Renices unless this JVM's compilers were last asked for {@code nice} already (several servers in one JVM). */
    private static ThreadNice.Result reniceOnce(int nice) {
        return asked.getAndSet(nice) == nice ? ThreadNice.Result.NOTHING_TO_DO : renice(nice);
    }

    /** Gives the compiler threads {@code nice} now, on the calling thread (a test restores its JVM's with it). */
    static ThreadNice.Result renice(int nice) {
        return ThreadNice.renice(nice, "JIT compiler threads", "global.jit-priority", COMPILERS);
    }

    /** Forgets what was asked, so the next {@link #apply} acts again. */
    static void forget() {
        asked.set(0);
    }

    /** Thread ids of this JVM's C1 and C2 compiler threads. */
    static List<String> compilerThreads() {
        return ThreadNice.threads(COMPILERS);
    }

    /** A thread's nice value, or Integer.MIN_VALUE when it is gone. */
    static int niceOf(String tid) {
        return ThreadNice.niceOf(tid);
    }
}
