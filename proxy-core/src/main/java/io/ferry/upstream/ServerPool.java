package io.ferry.upstream;

import io.ferry.balance.Balanced;
import io.ferry.config.PoolConfig;
import io.ferry.config.ServerConfig;
import io.ferry.health.ServerHealth;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * One upstream server in one configuration: its {@link ServerState} (which outlives the configuration),
 * the {@link Connector} of its protocol, and its connections — idle ones kept per event loop
 * ({@link LoopPool}), so a client connection only ever borrows an upstream connection living on its own
 * thread (Zuul's design): no lock, no cross-thread handoff. The total of open connections is capped over
 * all loops with one atomic counter; the requests in flight (max-conns) with the state's.
 */
public final class ServerPool implements Balanced {
    private final ServerConfig server;
    private final PoolConfig config;
    /** Health, drain, slots and statistics: the server's, carried across reloads. */
    private final ServerState state;
    private final ServerHealth health;
    private final SocketAddress remote;
    private final Connector connector;
    private final LongAdder idleCount = new LongAdder();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean retired;
    /** Loops that have connected to this server, so one may ask another to give up an idle connection. */
    private final CopyOnWriteArrayList<LoopPool> connectedLoops = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<LoopPool> loops = new FastThreadLocal<>() {
        @Override
        protected LoopPool initialValue() {
            return new LoopPool();
        }
    };

    /**
     * @param remote    where connections go: the TCP address or the unix socket
     * @param connector the protocol's connector, made for this pool
     */
    ServerPool(ServerConfig server, PoolConfig config, ServerState state, SocketAddress remote,
               Function<ServerPool, Connector> connector) {
        this.server = server;
        this.config = config;
        this.state = state;
        this.health = state.health;
        this.remote = remote;
        this.connector = connector.apply(this);
    }

    /** A stream per request over a few shared connections (HTTP/2), not a connection per request. */
    public boolean multiplexed() {
        return connector.multiplexed();
    }

    /**
     * A fresh connection for one exchange, opened on {@code loop} — for HTTP/2 a new stream on the loop's
     * connection to the server — or null when the server's connection limit is reached. A connection to
     * a send-proxy server names {@code client}, who reached Ferry at {@code ferry} (null: Ferry's own).
     */
    public Future<UpstreamConnection> open(EventLoop loop, InetSocketAddress client,
                                           java.util.function.Supplier<InetSocketAddress> ferry) {
        return connector.open(loop, client, ferry);
    }

    @Override
    public String name() {
        return server.name();
    }

    public ServerConfig server() {
        return server;
    }

    PoolConfig config() {
        return config;
    }

    /** Where connections go: the TCP address or the unix socket. */
    public SocketAddress remoteAddress() {
        return remote;
    }

    public ServerHealth health() {
        return health;
    }

    /** Everything learned of the server, which outlives this pool's configuration. */
    public ServerState state() {
        return state;
    }

    @Override
    public int weight() {
        return server.weight();
    }

    @Override
    public int inFlight() {
        return state.inFlight.get();
    }

    @Override
    public boolean isUp() {
        return !state.drained && health.isUp();
    }

    /**
     * Requests this server may have in flight (max-conns); 0 for no limit. A FastCGI server without a
     * configured max-conns gets what it said it takes (FCGI_MAX_CONNS), else no limit and no keepalive.
     */
    public int maxConns() {
        int configured = server.maxConns();
        return configured > 0 || !(connector instanceof FastCgiConnector) ? configured : state.learnedMaxConns;
    }

    /** For a FastCGI server without max-conns, not yet answered: asks it how many connections it takes. */
    public void learnFastCgiLimit(EventLoop loop) {
        if (connector instanceof FastCgiConnector fastcgi && server.maxConns() == 0 && state.learnedMaxConns == 0) {
            fastcgi.learnLimit(loop, state);
        }
    }

    @Override
    public boolean isAvailable() {
        int max = maxConns();
        return !state.drained && health.isUp() && (max == 0 || state.inFlight.get() < max) && hasCapacity();
    }

    /** Takes the server out of rotation by hand (HAProxy's "disable server"); requests in flight finish. */
    public void drain(boolean drain) {
        state.drained = drain;
    }

    public boolean isDrained() {
        return state.drained;
    }

    /** One response from this server took {@code nanos} (request sent to last byte). */
    public void recordResponse(long nanos) {
        state.requests.increment();
        state.latency.recordValue(Math.max(0, Math.min(nanos / 1000, 3_600_000_000L)));
    }

    public void recordError() {
        state.errors.increment();
    }

    public long requests() {
        return state.requests.sum();
    }

    public long errors() {
        return state.errors.sum();
    }

    /** Latency percentile in microseconds over all responses so far. */
    public long latencyMicros(double percentile) {
        synchronized (state) {
            collectLatencies();
            return state.latencyTotal.getValueAtPercentile(percentile);
        }
    }

    /**
     * The latencies (microseconds) recorded since the last {@code reset} call, as a copy; with {@code reset} the
     * window starts again (the stats history's steps).
     */
    public org.HdrHistogram.Histogram latencyWindow(boolean reset) {
        synchronized (state) {
            collectLatencies();
            org.HdrHistogram.Histogram copy = state.latencyWindow.copy();
            if (reset) {
                state.latencyWindow.reset();
            }
            return copy;
        }
    }

    /** Moves what the recorder holds into the totals and the window; under the state's lock. */
    private void collectLatencies() {
        org.HdrHistogram.Histogram interval = state.latency.getIntervalHistogram();
        state.latencyTotal.add(interval);
        state.latencyWindow.add(interval);
    }

    /** Takes one of the server's request slots (max-conns); false if they are all taken. */
    boolean tryAcquireSlot() {
        int max = maxConns();
        if (max == 0) {
            state.inFlight.incrementAndGet();
            return true;
        }
        while (true) {
            int n = state.inFlight.get();
            if (n >= max) {
                return false;
            }
            if (state.inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void releaseSlot() {
        state.inFlight.decrementAndGet();
    }

    /** Connections open to this server, idle or busy, over all event loops. */
    public int openConnections() {
        return open.get();
    }

    /** The counter of open connections (HTTP/2 counts its own connections in it). */
    AtomicInteger openCounter() {
        return open;
    }

    /** One more connection within pool.max-connections; false at the limit. */
    boolean reserveConnection() {
        if (open.incrementAndGet() > config.maxConnections()) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void connectionClosed() {
        open.decrementAndGet();
    }

    /** Idle pooled connections over all event loops. */
    public long idleConnections() {
        return idleCount.sum();
    }

    /** Idle connections kept on the calling event loop. */
    public int idleConnectionsOnThisLoop() {
        return loops.get().idle.size();
    }

    /** The calling event loop's part of the pool. */
    LoopPool loopPool() {
        return loops.get();
    }

    /** A loop made its first connection to the server. */
    void connectedFrom(LoopPool loop) {
        connectedLoops.add(loop);
    }

    /** True if a request could get a connection now: one is idle here, or another may be opened. */
    public boolean hasCapacity() {
        return connector.multiplexed() || open.get() < config.maxConnections() || !loops.get().idle.isEmpty();
    }

    /** Whether another connection attempt may start now from the calling event loop (pool.max-connecting). */
    public boolean mayConnect() {
        return loops.get().connecting < config.maxConnecting();
    }

    /**
     * Waits on the calling event loop for a connection: the next one released here goes to the first
     * waiter, and each finished connection attempt lets the first waiter try to open one.
     */
    public void awaitConnection(ConnectionWaiter waiter) {
        loops.get().waiters.addLast(waiter);
    }

    /** The waiter has gone (its client left, it gave up): it takes no connection. */
    public void cancelWait(ConnectionWaiter waiter) {
        loops.get().waiters.remove(waiter);
    }

    /** An idle connection of the calling event loop, most recently used first, or null. */
    public UpstreamConnection pollIdle() {
        ArrayDeque<UpstreamConnection> idle = loops.get().idle;
        UpstreamConnection c;
        while ((c = idle.pollFirst()) != null) {
            idleCount.decrement();
            if (c.channel().isActive()) {
                return c;
            }
        }
        return null;
    }

    /**
     * The first other loop with an idle connection closes its least recently used one: a FastCGI child it
     * held is then free for a new connection from {@code here}.
     */
    void shedIdleElsewhere(LoopPool here) {
        AtomicBoolean shed = new AtomicBoolean();
        for (LoopPool other : connectedLoops) {
            if (other != here) {
                other.loop.execute(() -> {
                    if (!other.idle.isEmpty() && shed.compareAndSet(false, true)) {
                        idleCount.decrement();
                        other.idle.pollLast().channel().close();
                    }
                });
            }
        }
    }

    /** An exchange is done with {@code c}: to a waiter of this loop, to the idle pool, or closed. */
    void release(UpstreamConnection c) {
        boolean reusable = !retired && c.reusable();
        LoopPool here = loops.get();
        if (reusable && !here.waiters.isEmpty()) {
            here.waiters.pollFirst().connectionReady(c); // straight to an exchange waiting on this loop
            return;
        }
        if (!reusable || here.idle.size() >= config.maxIdle()) {
            c.channel().close();
            return;
        }
        c.markIdle();
        here.idle.addFirst(c);
        idleCount.increment();
    }

    void removeIdle(UpstreamConnection c) {
        if (loops.get().idle.remove(c)) {
            idleCount.decrement();
        }
    }

    /**
     * After a reload replaced this pool: connections in use finish their exchange and then close;
     * idle ones are closed now, each on its own event loop.
     */
    void retire(Iterable<? extends EventExecutor> executors) {
        retired = true;
        for (EventExecutor loop : executors) {
            loop.execute(this::closeIdleOnThisLoop);
        }
    }

    private void closeIdleOnThisLoop() {
        connector.retireOnThisLoop();
        ArrayDeque<UpstreamConnection> idle = loops.get().idle;
        UpstreamConnection c;
        while ((c = idle.pollFirst()) != null) {
            idleCount.decrement();
            c.channel().close();
        }
    }

    @Override
    public String toString() {
        return server.name();
    }
}
