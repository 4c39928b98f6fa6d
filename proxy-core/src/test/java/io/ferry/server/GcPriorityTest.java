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
 * {@code global.gc-priority}: once the listeners are open, this JVM's stop-the-world threads (the collector's workers
 * and the VM thread, read from /proc/self/task) carry the nice value asked for — where the process may lower a nice
 * value; where it may not, the start reports why and the threads keep theirs.
 */
class GcPriorityTest {
    /** The suite's other tests run in this JVM: leave its collector as it was. */
    @AfterEach
    void restoreTheCollector() {
        GcPriority.forget();
        ThreadNice.Result restored = GcPriority.renice(0);
        assertEquals(restored.threads(), restored.reached(), "back at nice 0: " + restored);
    }

    @Test
    void theStopTheWorldThreadsGetTheNiceValueOnceTheListenersOpen() throws Exception {
        List<String> threads = GcPriority.threads();
        assertTrue(threads.size() >= 2, "a collector worker and the VM thread: " + threads);
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                global.gc-priority = -7
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            ThreadNice.Result result = ferry.server().gcPriority().get(30, TimeUnit.SECONDS);
            assertEquals(-7, result.nice());
            assertEquals(threads.size(), result.threads(), result.toString());
            if (NicePermission.mayLowerTo(-7)) {
                assertTrue(result.applied(), result.toString());
                for (String tid : GcPriority.threads()) {
                    assertEquals(-7, ThreadNice.niceOf(tid), "nice of thread " + tid);
                }
            } else {
                assertFalse(result.applied(), result.toString());
                assertFalse(result.problem().isEmpty(), "an unprivileged start says why: " + result);
            }
        }
        for (String tid : JitPriority.compilerThreads()) {
            assertEquals(0, ThreadNice.niceOf(tid), "the compilers are not among them: " + tid);
        }
    }

    @Test
    void zeroLeavesTheCollectorAlone() throws Exception {
        try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                backends { app { servers = [ "127.0.0.1:9" ] } }
                routes = [ { backend = app } ]
                """))) {
            assertEquals(ThreadNice.Result.NOTHING_TO_DO, ferry.server().gcPriority().get(30, TimeUnit.SECONDS),
                    "the harness sets 0");
        }
        for (String tid : GcPriority.threads()) {
            assertEquals(0, ThreadNice.niceOf(tid), "nice of thread " + tid);
        }
    }
}
