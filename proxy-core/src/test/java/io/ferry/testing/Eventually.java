package io.ferry.testing;

import java.util.concurrent.TimeUnit;

/**
 * Waits for something to happen in another thread or process — a server marked DOWN, a request queued —
 * by looking again until it has, within a generous bound that only a broken build reaches. The one way
 * the tests wait: never a sleep of a guessed length.
 */
public final class Eventually {
    private static final long BOUND_SECONDS = 15;

    /** What is waited for; it may ask a server (and throw). */
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Eventually() {
    }

    public static void until(String what, Condition condition) {
        until(what, BOUND_SECONDS, condition);
    }

    /** The same with a bound of its own: a process that takes longer to start. */
    public static void until(String what, long boundSeconds, Condition condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(boundSeconds);
        while (!check(condition)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + boundSeconds + " s: " + what);
            }
            try {
                Thread.sleep(5); // the next look, not a guess at how long it takes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    private static boolean check(Condition condition) {
        try {
            return condition.holds();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
