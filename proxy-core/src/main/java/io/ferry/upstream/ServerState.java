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

    public ServerState(ServerHealth health) {
        this.health = health;
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

    /** Key of a server's state: its backend and its address as configured. */
    static String key(String backend, String server) {
        return backend + ' ' + server;
    }
}
