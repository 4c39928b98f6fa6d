package io.ferry.health;

import io.ferry.config.PassiveHealthConfig;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether one server should get traffic. Two verdicts combine: the active check's (rise/fall) and the
 * passive one from real traffic (consecutive failures take the server out for a cooldown), within
 * what its {@link BackendHealth} allows. Read on every pick from any event loop, so the fast path is
 * two volatile reads and no clock unless the server is passively down.
 */
public final class ServerHealth {
    private static final Logger log = LoggerFactory.getLogger(ServerHealth.class);

    private final String backend;
    private final String server;
    /** Both change with a reload that keeps this server (its state outlives the configuration). */
    private volatile PassiveHealthConfig passive;
    private volatile BackendHealth group;
    private final AtomicInteger failures = new AtomicInteger();
    /** nanoTime until which the server is passively down; 0 when it is not. */
    private final AtomicLong downUntil = new AtomicLong();
    private volatile boolean checkUp = true;
    private volatile Runnable onUp = () -> { };
    // Active-check counters: touched only by the checker's event loop.
    private int consecutiveOk;
    private int consecutiveFail;
    /** Totals of the active check's results (HAProxy's chkfail and its passing twin), for /status. */
    private volatile long checksPassed;
    private volatile long checksFailed;

    public ServerHealth(String backend, String server, PassiveHealthConfig passive, BackendHealth group) {
        this.backend = backend;
        this.server = server;
        this.passive = passive;
        this.group = group;
        group.add(this);
    }

    /**
     * A reload keeps the server: from now on its verdicts follow the new passive-health settings and
     * count in the new backend's group. Active-check counters go on where they were.
     */
    public void rejoin(PassiveHealthConfig passive, BackendHealth group) {
        this.passive = passive;
        this.group = group;
        group.add(this);
    }

    /**
     * Marks the server DOWN by the active check until it passes {@code rise} checks again: how a state
     * file brings back a server that was down when Ferry stopped.
     */
    public void startDown() {
        checkUp = false;
    }

    /** Whether the active check has it DOWN. */
    public boolean checkedDown() {
        return !checkUp;
    }

    /** Whether the server takes traffic: its own verdicts, or the backend's panic for a passive ejection. */
    public boolean isUp() {
        return upOnItsOwn() || checkUp && group.panic();
    }

    /** Up by both verdicts, active and passive; ends an expired passive cooldown. */
    boolean upOnItsOwn() {
        if (!checkUp) {
            return false;
        }
        long until = downUntil.get();
        if (until == 0) {
            return true;
        }
        if (System.nanoTime() - until < 0) {
            return false;
        }
        if (downUntil.compareAndSet(until, 0)) {
            log.info("backend {} server {} back in rotation after its passive-health cooldown", backend, server);
            group.recompute();
        }
        return true;
    }

    /** Out only by the passive verdict (active checks would let it take traffic). */
    boolean passivelyDownOnly() {
        return checkUp && downUntil.get() != 0;
    }

    /** A request to the server succeeded (a response head arrived). */
    public void onSuccess() {
        if (failures.get() != 0) {
            failures.set(0);
        }
    }

    /** A request to the server failed in a way that says something about the server. */
    public void onFailure(String reason) {
        if (!passive.enabled()) {
            return;
        }
        int n = failures.incrementAndGet();
        if (n >= passive.failures() && downUntil.get() == 0) {
            failures.set(0);
            if (!group.mayEject(this)) {
                log.warn("backend {} server {}: {} consecutive failures (last: {}), but it is the last server up: "
                        + "kept in rotation", backend, server, n, reason);
                return;
            }
            long end = System.nanoTime() + passive.cooldown().toNanos();
            long until = end == 0 ? 1 : end; // 0 means "not down"
            if (downUntil.compareAndSet(0, until)) {
                log.warn("backend {} server {} marked DOWN for {} ms after {} consecutive failures (last: {})",
                        backend, server, passive.cooldown().toMillis(), n, reason);
                group.recompute();
                wakeAt(until);
            }
        }
    }

    /**
     * A cooldown that runs out by itself brings the server back as a passing check does: the queue is told
     * then, not at the next pick (which, with every other server full, may be a queued request's timeout).
     * On Netty's global timer thread: an ejection is rare, and no event loop is tied to a server.
     */
    private void wakeAt(long until) {
        try {
            GlobalEventExecutor.INSTANCE.schedule(() -> cooldownOver(until), Math.max(0, until - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("backend {} server {}: no timer for the end of its cooldown; the next pick ends it", backend, server);
        }
    }

    private void cooldownOver(long until) {
        long now = downUntil.get();
        if (now == until && System.nanoTime() - until < 0) {
            wakeAt(until); // the timer's clock ran a little ahead of this one
        } else if ((now == until || now == 0) && upOnItsOwn()) {
            onUp.run(); // also when a pick or a check ended it first: one more wake-up is harmless
        }
    }

    /**
     * Called when the server comes back into rotation (UP again, a passive cooldown ended early by a check
     * or run out), so queued requests can try it.
     */
    public void onServerUp(Runnable listener) {
        this.onUp = listener;
    }

    /** Active checks this server passed since start (one writer: the checker's loop). */
    public long checksPassed() {
        return checksPassed;
    }

    /** Active checks this server failed since start. */
    public long checksFailed() {
        return checksFailed;
    }

    /** Active checks run against this server since start, passed or failed. */
    public long checksRun() {
        return checksPassed + checksFailed;
    }

    public boolean countsServerErrors() {
        return passive.enabled() && passive.count5xx();
    }

    /** Result of one active check; called on the checker's event loop only. */
    public void checkResult(boolean ok, String detail, int rise, int fall) {
        if (ok) {
            checksPassed = checksPassed + 1; // one writer: no lost update
            consecutiveFail = 0;
            if (!checkUp && ++consecutiveOk >= rise) {
                checkUp = true;
                downUntil.set(0);
                failures.set(0);
                log.warn("backend {} server {} is UP ({} checks passed: {})", backend, server, consecutiveOk, detail);
                group.recompute();
                onUp.run();
            } else if (checkUp && downUntil.get() != 0 && ++consecutiveOk >= rise) {
                downUntil.set(0); // a passing check ends a passive cooldown early
                log.info("backend {} server {} back in rotation: health checks pass", backend, server);
                group.recompute();
                onUp.run();
            }
        } else {
            checksFailed = checksFailed + 1;
            consecutiveOk = 0;
            if (checkUp && ++consecutiveFail >= fall) {
                checkUp = false;
                log.warn("backend {} server {} is DOWN ({} checks failed, last: {})", backend, server, consecutiveFail,
                        detail);
                group.recompute();
            }
        }
    }
}
