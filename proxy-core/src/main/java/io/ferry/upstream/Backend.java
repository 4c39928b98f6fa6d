package io.ferry.upstream;

import io.ferry.tls.ClientTls;
import io.ferry.balance.Balancer;
import io.ferry.config.BackendConfig;
import io.ferry.fastcgi.FastCgiSite;
import io.ferry.health.BackendHealth;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named group of upstream servers: the balancer that picks one per request, the request slots
 * (max-conns), the queue of requests waiting for a slot, and the retry budget.
 */
public final class Backend {
    private final BackendConfig config;
    private final List<ServerPool> servers;
    private final Balancer<ServerPool> balancer;
    private final ConcurrentLinkedDeque<SlotWaiter> waiters = new ConcurrentLinkedDeque<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final FastThreadLocal<RetryBudget> budgets;
    private final FastCgiSite site;
    private final BackendHealth health;
    private final ClientTls tls;
    /** Replaced by a reload (or stopped): its queue stops listening to its servers once empty. */
    private volatile boolean retired;
    /** sticky: each server's cookie token, and the server of each token; empty when not sticky. */
    private final Map<ServerPool, String> tokenOf;
    private final Map<String, ServerPool> serverOf;

    /** @param tls TLS to the servers (h2, or tls.enabled), else null */
    Backend(BackendConfig config, List<ServerPool> servers, BackendHealth health, ClientTls tls) {
        this.config = config;
        this.tls = tls;
        this.health = health;
        this.servers = List.copyOf(servers);
        this.balancer = Balancer.create(config.balance(), this.servers, config.hashVirtualNodes());
        this.site = config.fastcgi() == null ? null : new FastCgiSite(config.fastcgi());
        Map<ServerPool, String> tokens = new java.util.IdentityHashMap<>();
        Map<String, ServerPool> byToken = new java.util.HashMap<>();
        if (config.sticky() != null) {
            for (ServerPool s : this.servers) {
                String token = StickyTokens.token(config.sticky().secret(), config.name(), s.name());
                tokens.put(s, token);
                byToken.put(token, s);
            }
        }
        this.tokenOf = tokens;
        this.serverOf = Map.copyOf(byToken);
        double share = config.retryBudget();
        this.budgets = new FastThreadLocal<>() {
            @Override
            protected RetryBudget initialValue() {
                return new RetryBudget(share);
            }
        };
    }

    public String name() {
        return config.name();
    }

    /** For an h2 backend: the TLS its servers (and its health checks) are spoken to with. */
    public ClientTls tls() {
        return tls;
    }

    public BackendConfig config() {
        return config;
    }

    public List<ServerPool> servers() {
        return servers;
    }

    /** True while passive ejections are overridden because too few servers are up (panic-threshold). */
    public boolean panic() {
        return health.panic();
    }

    /** The document root and script mapping of a FastCGI backend; null for an HTTP backend. */
    public FastCgiSite fastCgiSite() {
        return site;
    }

    /** True when the backend hashes on the client address rather than the path. */
    public boolean hashesSource() {
        return config.balance() == io.ferry.balance.BalanceAlgorithm.SOURCE_HASH;
    }

    /** sticky: the server a cookie token names, or null. */
    public ServerPool stickyServer(String token) {
        return token == null ? null : serverOf.get(token);
    }

    /** sticky: the cookie token of {@code server}. */
    public String stickyToken(ServerPool server) {
        return tokenOf.get(server);
    }

    /**
     * Picks a server and takes one of its request slots: {@code preferred} (a sticky session's) when it
     * is up, not drained and has a slot, else the balancer's choice. Returns null when no server is
     * available; then {@link #anyUp()} tells whether queueing makes sense.
     */
    public ServerPool acquire(CharSequence hashKey, ServerPool avoid, ServerPool preferred) {
        if (preferred != null && preferred != avoid && preferred.isAvailable() && preferred.tryAcquireSlot()) {
            return preferred;
        }
        return acquire(hashKey, avoid);
    }

    /**
     * Picks a server and takes one of its request slots. Returns null when no server is available;
     * then {@link #anyUp()} tells whether queueing makes sense.
     */
    public ServerPool acquire(CharSequence hashKey, ServerPool avoid) {
        for (int attempt = 0; attempt < 3; attempt++) {
            ServerPool s = balancer.pick(hashKey, avoid);
            if (s == null) {
                return null;
            }
            if (s.tryAcquireSlot()) {
                return s;
            }
            // Another event loop took the last slot between the pick and the acquire; pick again.
        }
        return null;
    }

    /**
     * Gives a request slot back and lets the longest-waiting live request of each queue the server
     * serves try for it: this configuration's, and across a reload the other one's, since a kept
     * server's slots are shared between them.
     */
    public void release(ServerPool server) {
        server.releaseSlot();
        ServerState state = server.state();
        for (Backend b : state.queues()) {
            if (b.queued.get() > 0) {
                b.wakeOne();
            } else if (b.retired) {
                b.stopListening(state);
            }
        }
    }

    /** Listens to its servers' freed slots (see {@link #release}): when built, and when a replaced one queues again. */
    void listen() {
        for (ServerPool s : servers) {
            s.state().addQueue(this);
        }
    }

    /**
     * Replaced by a reload, or stopped. Its queued requests are still served by slots freed on its
     * servers by either configuration; once its queue is empty it stops listening, so replaced
     * configurations are not kept alive by the servers they share with the running one.
     */
    void retire() {
        retired = true;
        if (queued.get() == 0) {
            stopListening();
        }
    }

    private void stopListening() {
        for (ServerPool s : servers) {
            stopListening(s.state());
        }
    }

    /**
     * Leaves a server's wake list, unless a request was queued meanwhile: {@link #enqueue} raises the
     * count before it reads {@code retired}, this reads the count after leaving, so one of the two
     * always sees the other and a queued request never goes unheard.
     */
    private void stopListening(ServerState state) {
        state.removeQueue(this);
        if (queued.get() > 0) {
            state.addQueue(this);
            wakeOne();
        }
    }

    public boolean anyUp() {
        for (ServerPool s : servers) {
            if (s.isUp()) {
                return true;
            }
        }
        return false;
    }

    /** Queues a request for a slot; false when the queue (max-queue) is full. */
    public boolean enqueue(SlotWaiter waiter, boolean atFront) {
        if (queued.incrementAndGet() > config.maxQueue()) {
            queued.decrementAndGet();
            return false;
        }
        if (atFront) {
            waiters.addFirst(waiter);
        } else {
            waiters.addLast(waiter);
        }
        if (retired) {
            listen(); // a replaced configuration that had stopped listening queues again (a retry)
        }
        return true;
    }

    /**
     * A waiter gives up its place (timed out, client gone) so it no longer counts against max-queue.
     * Unless a wake-up took it first, in which case that already did. Linear, but only on leaving.
     */
    public void leave(SlotWaiter waiter) {
        if (waiters.remove(waiter) && queued.decrementAndGet() == 0 && retired) {
            stopListening();
        }
    }

    public int queueLength() {
        return queued.get();
    }

    /**
     * Hands the chance of a freed slot to the first waiter still waiting; waiters that timed out or
     * whose client left are skipped, so a dead waiter never swallows a slot.
     */
    public void wakeOne() {
        if (queued.get() == 0) {
            return;
        }
        SlotWaiter w;
        while ((w = waiters.pollFirst()) != null) {
            queued.decrementAndGet();
            if (w.wake()) {
                return;
            }
        }
    }

    /** The calling event loop's retry budget for this backend. */
    public RetryBudget retryBudget() {
        return budgets.get();
    }

    @Override
    public String toString() {
        return config.name();
    }
}
