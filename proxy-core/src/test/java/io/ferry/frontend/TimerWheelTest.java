package io.ferry.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection timers' wheel on a real event loop, turned fast (1 ms ticks, 16 slots) so that waits of
 * several turns take milliseconds: nothing fires early, everything set fires, a cancelled or moved timer
 * does not fire where it was.
 */
class TimerWheelTest {
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(1);
    private final EventLoop loop = new DefaultEventLoop();
    private final TimerWheel wheel = new TimerWheel(loop, TICK, 16);

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /** Records when it expired; counts down a latch. */
    private static class Probe extends TimerWheel.Timer {
        final CountDownLatch done;
        long setAt;
        long delay;
        volatile long firedAt;
        volatile int fired;
        Runnable onExpire = () -> { };

        Probe(CountDownLatch done) {
            this.done = done;
        }

        @Override
        void expire() {
            firedAt = System.nanoTime();
            fired++;
            onExpire.run();
            done.countDown();
        }
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    private void set(Probe p, long delayNanos) throws Exception {
        onLoop(() -> {
            p.setAt = System.nanoTime();
            p.delay = delayNanos;
            wheel.set(p, delayNanos);
            return null;
        });
    }

    @Test
    void everyTimerFiresOnceAndNeverEarlyAcrossSeveralTurns() throws Exception {
        CountDownLatch done = new CountDownLatch(500);
        List<Probe> probes = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 500; i++) {
            Probe p = new Probe(done);
            probes.add(p);
            set(p, random.nextLong(0, TimeUnit.MILLISECONDS.toNanos(60))); // up to ~4 turns of the wheel
        }
        assertTrue(done.await(10, TimeUnit.SECONDS), "every timer fired");
        for (Probe p : probes) {
            assertEquals(1, p.fired);
            assertTrue(p.firedAt - p.setAt >= p.delay, "fired " + (p.firedAt - p.setAt) + " ns after set, due " + p.delay);
        }
        assertEquals(0, (int) onLoop(wheel::size));
    }

    @Test
    void aCancelledTimerDoesNotFireAndAMovedOneFiresOnlyAtItsNewTime() throws Exception {
        CountDownLatch done = new CountDownLatch(2);
        Probe cancelled = new Probe(done);
        Probe moved = new Probe(done);
        Probe witness = new Probe(done);
        set(cancelled, TimeUnit.MILLISECONDS.toNanos(5));
        set(moved, TimeUnit.MILLISECONDS.toNanos(5));
        onLoop(() -> {
            wheel.cancel(cancelled);
            assertFalse(cancelled.isSet());
            return null;
        });
        set(moved, TimeUnit.MILLISECONDS.toNanos(40)); // set again: it moves
        set(witness, TimeUnit.MILLISECONDS.toNanos(50));
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(0, cancelled.fired);
        assertEquals(1, moved.fired);
        assertTrue(moved.firedAt - moved.setAt >= moved.delay);
        assertTrue(witness.firedAt >= moved.firedAt, "the moved timer fired at its new time, before the later one");
    }

    @Test
    void aTimerThatSetsItselfAgainFiresAgainLater() throws Exception {
        CountDownLatch done = new CountDownLatch(5);
        Probe p = new Probe(done);
        p.onExpire = () -> {
            if (p.fired < 5) {
                wheel.set(p, 0); // at once: must wait for the next tick, not spin in this one
            }
        };
        set(p, TimeUnit.MILLISECONDS.toNanos(3));
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(5, p.fired);
        assertEquals(0, (int) onLoop(wheel::size));
    }

    @Test
    void aTimerCancelledByAnotherExpiringInTheSameTickDoesNotFire() throws Exception {
        CountDownLatch anyFired = new CountDownLatch(1);
        Probe first = new Probe(anyFired);
        Probe second = new Probe(anyFired);
        Probe third = new Probe(anyFired);
        // all three due in the same tick: whichever expires first cancels the other two
        onLoop(() -> {
            long delay = TimeUnit.MILLISECONDS.toNanos(5);
            wheel.set(first, delay);
            wheel.set(second, delay);
            wheel.set(third, delay);
            Runnable cancelOthers = () -> {
                wheel.cancel(first);
                wheel.cancel(second);
                wheel.cancel(third);
            };
            first.onExpire = cancelOthers;
            second.onExpire = cancelOthers;
            third.onExpire = cancelOthers;
            return null;
        });
        assertTrue(anyFired.await(10, TimeUnit.SECONDS));
        // a later timer proves the wheel has turned past them
        CountDownLatch later = new CountDownLatch(1);
        set(new Probe(later), TimeUnit.MILLISECONDS.toNanos(20));
        assertTrue(later.await(10, TimeUnit.SECONDS));
        assertEquals(1, first.fired + second.fired + third.fired, "exactly one of the three fired");
        assertEquals(0, (int) onLoop(wheel::size));
    }
}
