package io.ferry.upstream;

import io.ferry.balance.Balanced;
import io.ferry.config.BackendConfig;
import io.ferry.config.Limits;
import io.ferry.config.PoolConfig;
import io.ferry.config.ServerConfig;
import io.ferry.fastcgi.FastCgiClientCodec;
import io.ferry.fastcgi.FastCgiLimits;
import io.ferry.fastcgi.FcgiRecordDecoder;
import io.ferry.health.ServerHealth;
import io.ferry.http.ProxyHeaders;
import io.ferry.tls.ClientTls;
import io.ferry.tls.TlsContexts;
import io.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keepalive connections to one upstream server. Idle connections are kept per event loop, so a
 * client connection only ever borrows an upstream connection living on its own thread (Zuul's
 * design): no lock, no cross-thread handoff. The total of open connections to the server is capped
 * over all loops with one atomic counter.
 */
public final class ServerPool implements Balanced {
    private final ServerConfig server;
    private final PoolConfig config;
    /** Health, drain, slots and statistics: the server's, carried across reloads. */
    private final ServerState state;
    private final ServerHealth health;
    private final LongAdder idleCount = new LongAdder();
    private final SocketAddress remote;
    private volatile boolean retired;
    private final Bootstrap template;
    private final boolean fastcgi;
    private static final Logger log = LoggerFactory.getLogger(ServerPool.class);
    private final AtomicInteger open = new AtomicInteger();
    /** Loops that have connected to this server, so one may ask another to give up an idle connection. */
    private final CopyOnWriteArrayList<LoopState> connectedLoops = new CopyOnWriteArrayList<>();

    private final FastThreadLocal<LoopState> loops = new FastThreadLocal<>() {
        @Override
        protected LoopState initialValue() {
            return new LoopState();
        }
    };

    /**
     * Each new connection starts with a PROXY header naming its client, so it serves that client only:
     * never pooled, never handed to another exchange (HAProxy's send-proxy connections are private too).
     */
    private final BackendConfig.SendProxy sendProxy;
    /** TLS on each HTTP/1.1 connection, or null; a connection is handed out once its handshake is done. */
    private final ClientTls tls;
    private final long handshakeTimeoutMillis;

    /** HTTP/2 to the server (a stream per request), or null for HTTP/1.1 and FastCGI connections. */
    private final Http2Upstream http2;

    /**
     * @param tls TLS to the server (ALPN h2 for an h2 backend), or null for cleartext
     * @param multiplexed HTTP/2 (h2 or h2c) to the server
     */
    ServerPool(ServerConfig server, PoolConfig config, Transport transport, Limits limits,
               Duration connectTimeout, ServerState state, boolean fastcgi, boolean multiplexed,
               ClientTls tls, Duration serverTimeout, BackendConfig.SendProxy sendProxy) {
        this.server = server;
        this.sendProxy = sendProxy;
        this.tls = multiplexed ? null : tls; // an HTTP/2 connection adds its own
        this.handshakeTimeoutMillis = Math.max(1, connectTimeout.toMillis());
        this.config = config;
        this.state = state;
        this.health = state.health;
        this.fastcgi = fastcgi;
        this.remote = server.isUnix() ? transport.domainAddress().apply(server.unixPath()) : server.address();
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(64 * 1024);
        long idleNanos = config.idleTimeout().toNanos();
        int maxHeaderSize = limits.maxHeaderSize();
        Bootstrap b = new Bootstrap()
                .channel(server.isUnix() ? transport.domainChannel() : transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Reused: a connection of a FastCGI server whose limit is known, and one without a PROXY
                        // header naming its client (HAProxy's send-proxy connections are private too).
                        boolean reusable = fastcgi ? maxConns() > 0 : sendProxy == BackendConfig.SendProxy.NONE;
                        if (fastcgi) {
                            ch.pipeline().addLast("records", new FcgiRecordDecoder());
                            ch.pipeline().addLast("fastcgi", new FastCgiClientCodec(server.name(), maxHeaderSize, reusable));
                        } else {
                            if (sendProxy != BackendConfig.SendProxy.NONE) {
                                ch.pipeline().addLast("proxy-protocol", HAProxyMessageEncoder.INSTANCE);
                            }
                            ch.pipeline().addLast("codec", new HttpClientCodec(decoder, false, false));
                        }
                        ch.pipeline().addLast("upstream", new UpstreamConnection(ServerPool.this, idleNanos, reusable));
                    }
                });
        if (!server.isUnix()) {
            b.option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_KEEPALIVE, true);
        }
        this.template = b;
        this.http2 = multiplexed ? new Http2Upstream(this, server, remote, b, tls, open,
                config::maxConnections, idleNanos, serverTimeout.toMillis()) : null;
    }

    /** A stream per request over a few shared connections (HTTP/2), not a connection per request. */
    public boolean multiplexed() {
        return http2 != null;
    }

    /**
     * A fresh connection for one exchange, opened on {@code loop} — for HTTP/2 a new stream on the loop's
     * connection to the server — or null when the server's connection limit is reached. A connection
     * to a send-proxy server first sends the PROXY header naming {@code client}, who reached Ferry at
     * {@code ferry} (a null client: a connection of Ferry's own, naming nobody), then does its TLS
     * handshake if any; it is handed out when both are done.
     */
    public Future<UpstreamConnection> open(EventLoop loop, InetSocketAddress client, InetSocketAddress ferry) {
        if (http2 != null) {
            return http2.open(loop);
        }
        ChannelFuture f = connect(loop);
        if (f == null) {
            return null;
        }
        Promise<UpstreamConnection> connected = loop.newPromise();
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                connected.tryFailure(done.cause());
                return;
            }
            Channel ch = done.channel();
            UpstreamConnection c = ch.pipeline().get(UpstreamConnection.class);
            if (sendProxy != BackendConfig.SendProxy.NONE) { // before TLS: the header is read in the clear
                ch.write(client == null ? ProxyHeaders.unnamed(sendProxy) : ProxyHeaders.naming(sendProxy, client, ferry),
                        ch.voidPromise());
            }
            if (tls == null) {
                connected.trySuccess(c);
                return;
            }
            SslHandler ssl = tls.newHandler(ch.alloc(), remote);
            ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis); // timeouts.connect covers the handshake too
            ch.pipeline().addBefore("codec", "tls", ssl); // starts the handshake, flushing the header first
            ssl.handshakeFuture().addListener(hs -> {
                if (hs.isSuccess()) {
                    connected.trySuccess(c);
                } else {
                    connected.tryFailure(new SSLException("TLS handshake with " + server.name() + " failed: "
                            + TlsContexts.rootMessage(hs.cause())));
                }
            });
        });
        return connected;
    }

    @Override
    public String name() {
        return server.name();
    }

    public ServerConfig server() {
        return server;
    }

    /** Where connections go: the TCP address or the unix socket. */
    public SocketAddress remoteAddress() {
        return remote;
    }

    public ServerHealth health() {
        return health;
    }

    @Override
    public int weight() {
        return server.weight();
    }

    @Override
    public int inFlight() {
        return state.inFlight.get();
    }

    /** Everything learned of the server, which outlives this pool's configuration. */
    public ServerState state() {
        return state;
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
        return configured > 0 || !fastcgi ? configured : state.learnedMaxConns;
    }

    /**
     * For a FastCGI server without max-conns: asks it (FCGI_GET_VALUES) how many connections it takes,
     * on {@code loop}, without blocking. An answer becomes its limit, and its connections are kept alive
     * from then on; without one (php-fpm 8.2 does not say) each request has a connection of its own.
     */
    public void learnFastCgiLimit(EventLoop loop) {
        if (!fastcgi || server.maxConns() > 0 || state.learnedMaxConns > 0) {
            return; // configured, or already announced (before a reload)
        }
        IntConsumer learned = n -> {
            if (n > 0) {
                state.learnedMaxConns = n;
                log.info("FastCGI server {} takes {} connections at once (FCGI_MAX_CONNS): used as its max-conns,"
                        + " with keepalive connections", server.name(), n);
            } else {
                log.info("FastCGI server {} does not say how many connections it takes (FCGI_MAX_CONNS): a"
                        + " connection per request, queued by the server for all its children (set max-conns to"
                        + " its pm.max_children for keepalive connections)", server.name());
            }
        };
        template.clone().group(loop).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new FcgiRecordDecoder(), new FastCgiLimits(2000, learned));
            }
        }).connect(remote).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                learned.accept(-1);
            }
        });
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
            state.latencyTotal.add(state.latency.getIntervalHistogram());
            return state.latencyTotal.getValueAtPercentile(percentile);
        }
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

    /** Idle pooled connections over all event loops. */
    public long idleConnections() {
        return idleCount.sum();
    }

    /** Idle connections kept on the calling event loop. */
    public int idleConnectionsOnThisLoop() {
        return loops.get().idle.size();
    }

    /** True if a request could get a connection now: one is idle here, or another may be opened. */
    public boolean hasCapacity() {
        return open.get() < config.maxConnections() || !loops.get().idle.isEmpty() || http2 != null;
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
        if (http2 != null) {
            return null; // every request is a new stream
        }
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
     * Opens a new connection on {@code loop}, or returns null when the server's connection limit is
     * reached. The future's channel carries an {@link UpstreamConnection} as its last handler.
     */
    private ChannelFuture connect(EventLoop loop) {
        if (open.incrementAndGet() > config.maxConnections()) {
            open.decrementAndGet();
            return null;
        }
        LoopState state = loops.get();
        if (state.bootstrap == null) {
            state.bootstrap = template.clone(loop);
            state.loop = loop;
            connectedLoops.add(state);
        }
        int limit = maxConns();
        if (fastcgi && limit > 0 && open.get() > limit) {
            shedIdleElsewhere(state);
        }
        state.connecting++;
        ChannelFuture f = state.bootstrap.connect(remote);
        f.addListener(done -> {
            state.connecting--;
            ConnectionWaiter next = state.waiters.pollFirst();
            if (next != null) {
                next.connectionReady(null); // room for another attempt
            }
        });
        f.channel().closeFuture().addListener(closed -> open.decrementAndGet());
        return f;
    }

    /**
     * A FastCGI server serves one connection per child (php-fpm): a connection idle on another loop
     * holds a child, so a new connection beyond max-conns would wait in the server's backlog until
     * timeouts.server. The first other loop with an idle connection closes its least recently used
     * one, freeing the child for the new connection.
     */
    private void shedIdleElsewhere(LoopState here) {
        AtomicBoolean shed = new AtomicBoolean();
        for (LoopState other : connectedLoops) {
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

    void release(UpstreamConnection c) {
        if (http2 != null) {
            c.channel().close(); // a stream ends with its exchange; its connection stays
            return;
        }
        boolean reusable = !retired && c.reusable();
        LoopState state = loops.get();
        ArrayDeque<UpstreamConnection> idle = state.idle;
        if (reusable && !state.waiters.isEmpty()) {
            state.waiters.pollFirst().connectionReady(c); // straight to an exchange waiting on this loop
            return;
        }
        if (!reusable || idle.size() >= config.maxIdle()) {
            c.channel().close();
            return;
        }
        c.markIdle();
        idle.addFirst(c);
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
    void retire(Iterable<? extends EventExecutor> loops) {
        retired = true;
        for (EventExecutor loop : loops) {
            loop.execute(this::closeIdleOnThisLoop);
        }
    }

    private void closeIdleOnThisLoop() {
        if (http2 != null) {
            http2.retireOnThisLoop();
        }
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

    /** What one event loop keeps for this server. Touched only by that loop's thread. */
    private static final class LoopState {
        final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
        final ArrayDeque<ConnectionWaiter> waiters = new ArrayDeque<>();
        /** Connection attempts under way from this loop. */
        int connecting;
        Bootstrap bootstrap;
        /** The loop these belong to; set with the bootstrap, at its first connection. */
        EventLoop loop;
    }
}
