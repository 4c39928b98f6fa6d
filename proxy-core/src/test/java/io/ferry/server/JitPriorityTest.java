package io.ferry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code global.jit-priority}: once the listeners are open, this JVM's JIT compiler threads (read from
 * /proc/self/task) carry the nice value asked for — where the process may lower a nice value; where it may
 * not, the start reports why and the threads keep theirs. After {@code global.jit-priority-for} they carry
 * {@code global.jit-steady-priority} (raising a nice value needs no privilege), unless the server stopped.
 */
class JitPriorityTest {
    /** The suite's other tests run in this JVM: compilers left at -7 would take the cores from them. */
    @AfterEach
    void restoreTheCompilers() {
        JitPriority.forget();
        ThreadNice.Result restored = JitPriority.renice(0);
        assertEquals(restored.threads(), restored.reached(), "back at nice 0: " + restored);
    }

    @Test
    void theCompilerThreadsGetTheNiceValueOnceTheListenersOpen() throws Exception {
        List<String> before = JitPriority.compilerThreads();
        assertFalse(before.isEmpty(), "a JVM with C1 and C2 has compiler threads");
        // -7: a value no other start in this JVM asks for, so this start applies it
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                global.jit-priority = -7
                global.jit-priority-for = 0s
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            ThreadNice.Result result = ferry.server().jitPriority().started().get(30, TimeUnit.SECONDS);
            assertEquals(-7, result.nice());
            assertTrue(result.threads() > 0, result.toString());
            if (NicePermission.mayLowerTo(-7)) {
                assertTrue(result.applied(), result.toString());
                for (String tid : JitPriority.compilerThreads()) {
                    assertEquals(-7, JitPriority.niceOf(tid), "nice of compiler thread " + tid);
                }
            } else {
                assertFalse(result.applied(), result.toString());
                assertFalse(result.problem().isEmpty(), "an unprivileged start says why: " + result);
            }
            assertEquals(ThreadNice.Result.NOTHING_TO_DO, ferry.server().jitPriority().steady().get(30, TimeUnit.SECONDS),
                    "jit-priority-for = 0s keeps the start's value for good");
        }
    }

    @Test
    void afterTheStartWindowTheCompilersGoBelowTheEventLoops() throws Exception {
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                global.jit-priority = -6
                global.jit-priority-for = 50ms
                global.jit-steady-priority = 4
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            assertEquals(-6, ferry.server().jitPriority().started().get(30, TimeUnit.SECONDS).nice());
            ThreadNice.Result steady = ferry.server().jitPriority().steady().get(30, TimeUnit.SECONDS);
            assertEquals(4, steady.nice());
            assertTrue(steady.applied(), "raising a nice value needs no privilege: " + steady);
            for (String tid : JitPriority.compilerThreads()) {
                assertEquals(4, JitPriority.niceOf(tid), "nice of compiler thread " + tid);
            }
        }
    }

    @Test
    void aServerThatStopsWithinTheWindowLeavesTheSteadyValueUnapplied() throws Exception {
        JitPriority.Plan plan;
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                global.jit-priority = 0
                global.jit-priority-for = 1h
                global.jit-steady-priority = 5
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            plan = ferry.server().jitPriority();
            assertEquals(ThreadNice.Result.NOTHING_TO_DO, plan.started().get(30, TimeUnit.SECONDS), "0: left alone");
            assertFalse(plan.steady().isDone(), "an hour to go");
        }
        assertEquals(ThreadNice.Result.NOTHING_TO_DO, plan.steady().get(30, TimeUnit.SECONDS));
        for (String tid : JitPriority.compilerThreads()) {
            assertEquals(0, JitPriority.niceOf(tid), "nice of compiler thread " + tid);
        }
    }

    @Test
    void zeroLeavesTheCompilersAlone() throws Exception {
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            assertEquals(ThreadNice.Result.NOTHING_TO_DO, ferry.server().jitPriority().started().get(30, TimeUnit.SECONDS));
            assertEquals(ThreadNice.Result.NOTHING_TO_DO, ferry.server().jitPriority().steady().get(30, TimeUnit.SECONDS),
                    "the harness sets both to 0");
        }
    }
}
