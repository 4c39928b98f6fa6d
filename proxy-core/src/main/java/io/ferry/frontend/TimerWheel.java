package io.ferry.frontend;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection timers of one event loop on a hashed wheel, with the links in the timers themselves
 * (nginx keeps its timer node in the connection, HAProxy in the task): an idle connection's timer costs a
 * few fields, not a scheduled task of its own in the loop's queue. One task of the loop's wakes it at the
 * next slot that holds a timer. Timers fire up to one tick late, never early; every call is on the loop.
 */
final class TimerWheel implements Runnable {
    /** Timer resolution: far below any timeout worth configuring. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(8);
    private static final int SLOTS = 1024; // one turn of the wheel ~8 s; longer waits ride it more than once
    private static final FastThreadLocal<TimerWheel> CURRENT = new FastThreadLocal<>();
    private static final Logger log = LoggerFactory.getLogger(TimerWheel.class);

    /** A timer on the wheel: a connection's, linked into one slot while it is set. */
    abstract static class Timer {
        private Timer prev;
        private Timer next;
        /** When it is due (System.nanoTime). */
        private long due;
        /** The slot it is linked into, or -1. */
        private int slot = -1;

        /** The timer's time has come; it is off the wheel and may set itself again. */
        abstract void expire();

        final boolean isSet() {
            return slot >= 0;
        }
    }

    private final EventExecutor loop;
    private final long tickNanos;
    private final Timer[] slots;
    private final int mask;
    /** Ticks up to this one have been processed; a timer set now goes into a later one. */
    private long processed;
    /** The tick the loop's task is to wake at, or Long.MAX_VALUE with no task. */
    private long wakeTick = Long.MAX_VALUE;
    private ScheduledFuture<?> wake;
    /** Expiring timers: the wake is set once, after. */
    private boolean running;
    private int count;

    /** A wheel of {@code slots} (a power of two) ticks of {@code tickNanos}; tests turn it faster. */
    TimerWheel(EventExecutor loop, long tickNanos, int slots) {
        if (Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two: " + slots);
        }
        this.loop = loop;
        this.tickNanos = tickNanos;
        this.slots = new Timer[slots];
        this.mask = slots - 1;
        this.processed = tick(System.nanoTime()) - 1;
    }

    /** The wheel of {@code loop}, which is the calling thread's. */
    static TimerWheel of(EventExecutor loop) {
        TimerWheel wheel = CURRENT.get();
        if (wheel == null || wheel.loop != loop) {
            wheel = new TimerWheel(loop, TICK_NANOS, SLOTS); // a thread runs one loop; tests' embedded loops each get their own
            CURRENT.set(wheel);
        }
        return wheel;
    }

    /** Sets the timer to expire {@code delayNanos} from now (0 or less: at the next tick); if set, it moves. */
    void set(Timer timer, long delayNanos) {
        if (timer.slot >= 0) {
            unlink(timer);
        }
        timer.due = System.nanoTime() + Math.max(0, delayNanos);
        link(timer);
    }

    void cancel(Timer timer) {
        if (timer.slot >= 0) {
            unlink(timer);
        }
    }

    int size() {
        return count;
    }

    private long tick(long nanos) {
        return Math.floorDiv(nanos, tickNanos);
    }

    private void link(Timer timer) {
        // the tick whose start is at or after the due time, and not one already processed
        long t = Math.max(tick(timer.due + tickNanos - 1), processed + 1);
        int slot = (int) (t & mask);
        Timer head = slots[slot];
        timer.prev = null;
        timer.next = head;
        if (head != null) {
            head.prev = timer;
        }
        slots[slot] = timer;
        timer.slot = slot;
        count++;
        if (t < wakeTick && !running) {
            wakeAt(t);
        }
    }

    private void unlink(Timer timer) {
        if (timer.prev != null) {
            timer.prev.next = timer.next;
        } else {
            slots[timer.slot] = timer.next;
        }
        if (timer.next != null) {
            timer.next.prev = timer.prev;
        }
        timer.prev = timer.next = null;
        timer.slot = -1;
        count--;
    }

    private void wakeAt(long t) {
        if (wake != null) {
            wake.cancel(false);
        }
        wakeTick = t;
        wake = loop.schedule(this, Math.max(0, t * tickNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        wake = null;
        wakeTick = Long.MAX_VALUE;
        long now = System.nanoTime();
        long last = tick(now);
        running = true;
        try {
            // more than a turn behind (a stalled loop): each slot once is all there is to do
            for (long t = Math.max(processed + 1, last - mask); t <= last; t++) {
                processed = t;
                expire((int) (t & mask), now);
            }
        } finally {
            running = false;
        }
        if (count > 0) {
            for (long t = last + 1; t <= last + slots.length; t++) {
                if (slots[(int) (t & mask)] != null) {
                    wakeAt(t);
                    break;
                }
            }
        }
    }

    /**
     * Expires the slot's due timers and leaves those of a later turn. An expiring timer may set or cancel
     * timers (its own, in practice): the walk goes on from the last timer left if it is still here.
     */
    private void expire(int slot, long now) {
        Timer timer = slots[slot];
        while (timer != null) {
            if (timer.due - now > 0) {
                timer = timer.next;
                continue;
            }
            Timer before = timer.prev;
            unlink(timer);
            try {
                timer.expire(); // setting itself again goes into a later tick, never this list's turn
            } catch (RuntimeException e) {
                log.warn("a connection timer failed", e);
            }
            timer = before != null && before.slot == slot ? before.next : slots[slot];
        }
    }
}
