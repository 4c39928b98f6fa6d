package io.ferry.upstream;

import io.ferry.health.ServerHealth;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What Ferry has learned of one server while running — its health verdicts, an operator's drain, the
 * requests it has in flight, its counters and latencies, the connection limit a FastCGI server
 * announced. It belongs to the server, not to a configuration: a reload hands it to the new
 * {@link ServerPool} of a server that stays in its backend (keyed by backend and address), so a
 * drained server stays drained, a DOWN one gets no request, and requests in flight on the old pool
 * still count against max-conns.
 */
public final class ServerState {
    final ServerHealth health;
    final AtomicInteger inFlight = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final Recorder latency = new Recorder(3);
    final Histogram latencyTotal = new Histogram(3);
    /** Latencies since the stats history last took them (its current 10-second step). */
    final Histogram latencyWindow = new Histogram(3);
    volatile boolean drained;
    /** FCGI_MAX_CONNS as the server announced it; 0 while unknown. */
    volatile int learnedMaxConns;
    /**
     * The backends whose queued requests a slot freed here may serve: the running configuration's, and
     * a replaced one's while requests still wait in its queue. Copied on write: changed only at a
     * reload and when a replaced queue empties, read on every release.
     */
    private volatile Backend[] queues = new Backend[0];

    public ServerState(ServerHealth health) {
        this.health = health;
        health.onServerUp(this::serverUp);
    }

    /** Back UP after failed checks: each queue it serves may go on (requests queue only while some server is up). */
    private void serverUp() {
        for (Backend b : queues) {
            b.wakeOne();
        }
    }

    public ServerHealth health() {
        return health;
    }

    public boolean drained() {
        return drained;
    }

    /** Sets the operator's drain (also as read back from a state file). */
    public void drain(boolean drain) {
        this.drained = drain;
    }

    Backend[] queues() {
        return queues;
    }

    synchronized void addQueue(Backend b) {
        Backend[] now = queues;
        for (Backend q : now) {
            if (q == b) {
                return;
            }
        }
        Backend[] next = java.util.Arrays.copyOf(now, now.length + 1);
        next[now.length] = b;
        queues = next;
    }

    synchronized void removeQueue(Backend b) {
        Backend[] now = queues;
        for (int i = 0; i < now.length; i++) {
            if (now[i] == b) {
                Backend[] next = new Backend[now.length - 1];
                System.arraycopy(now, 0, next, 0, i);
                System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                queues = next;
                return;
            }
        }
    }

    /** Key of a server's state: its backend and its address as configured. */
    static String key(String backend, String server) {
        return backend + ' ' + server;
    }
}
