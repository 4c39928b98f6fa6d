package io.ferry.server;

import io.ferry.accesslog.LogFormat;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.http1.Http1ClientCodec;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.transport.Transport;
import io.ferry.upstream.Upstreams;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Ferry's own request path before the listeners open ({@code global.warm-up}), so the first
 * clients meet compiled code rather than the interpreter: a private listener on loopback with the real
 * client pipeline (HTTP/1.1 codec, front end, exchange phases, cache, upstream pool and codec) in front
 * of a private origin, driven by a few keepalive connections for the time given. Nothing of it is
 * left behind: its runtime, cache, metrics and sockets are its own and closed after. It runs on the
 * server's event loops with the server's transport, which is what gets compiled.
 */
final class WarmUp {
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    private static final int CONNECTIONS = 8;
    /** How long the set-up and the first answer may take before the warm-up gives up on them. */
    private static final long SETUP_LIMIT_MS = 10_000;
    private static final byte[] BODY = new byte[1024];
    private static final byte[] PASS = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
            + "Content-Length: 1024\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CACHEABLE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + "Cache-Control: max-age=3600\r\nContent-Length: 1024\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private WarmUp() {
    }

    /** What a warm-up did: requests answered, connections opened. */
    record Result(long answered, long connections) {
    }

    /** Sends traffic for about {@code budget} after the first answer (nothing for zero). */
    static Result run(Transport transport, EventLoopGroup loops, Duration budget) {
        if (budget.isZero()) {
            return new Result(0, 0);
        }
        long start = System.nanoTime();
        List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
        Traffic traffic = new Traffic(budget.toNanos(), channels);
        Upstreams upstreams = null;
        ProxyRuntime runtime = null;
        try {
            Channel origin = new ServerBootstrap().group(loops).channel(transport.serverChannel())
                    .childHandler(new Origin()).bind("127.0.0.1", 0).syncUninterruptibly().channel();
            channels.add(origin);
            FerryConfig config = ConfigLoader.parse(config(port(origin)), Path.of("."));
            upstreams = new Upstreams(config, transport);
            Upstreams pools = upstreams;
            ProxyRuntime warmRuntime = new ProxyRuntime(config, upstreams, Map.of(), null);
            runtime = warmRuntime;
            upstreams.start(loops, transport);
            ProxySettings settings = new ProxySettings("warm-up", false, () -> warmRuntime, new ProxyMetrics(), null,
                    new LogFormat(LogFormat.DEFAULT));
            Channel listener = new ServerBootstrap().group(loops, loops).channel(transport.serverChannel())
                    .childHandler(new ClientChannelInitializer(new ClientConnections(CONNECTIONS * 2), settings,
                            config.listeners().get(0)))
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            channels.add(listener);
            traffic.start(new Bootstrap().group(loops).channel(transport.socketChannel())
                    .remoteAddress(listener.localAddress()));
            if (!traffic.done.await(budget.toMillis() + SETUP_LIMIT_MS, TimeUnit.MILLISECONDS)) {
                log.warn("warm-up: not all its connections finished in time; going on");
            }
            pools.retire(loops);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // A warm-up that cannot run costs speed at start, nothing else: say so and start.
            log.warn("warm-up skipped: {}", e.toString());
            if (upstreams != null) {
                upstreams.retire(loops);
            }
        } finally {
            List<Channel> open;
            synchronized (channels) {
                open = new ArrayList<>(channels);
            }
            for (Channel ch : open) {
                ch.close().syncUninterruptibly();
            }
            if (runtime != null && runtime.cache != null) {
                runtime.cache.cache.clear(); // its objects' buffers go back to the allocator
            }
        }
        log.info("warm-up: {} requests on {} connections through the request path in {} ms", traffic.answered.get(),
                traffic.connections.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return new Result(traffic.answered.get(), traffic.connections.get());
    }

    private static int port(Channel ch) {
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    private static String config(int originPort) {
        return """
                ferry {
                  listeners = [ { name = warm-up, bind = "127.0.0.1", port = 0 } ]
                  backends { origin { servers = [ "127.0.0.1:%d" ], pool { max-idle = 64 } } }
                  routes = [ { host = "*", backend = origin } ]
                  cache { enabled = true, size = 1m }
                  access-log.enabled = false
                  admin.enabled = false
                  demo.enabled = false
                }
                """.formatted(originPort);
    }

    /**
     * Requests alternate between a cache hit and a pass to the origin, on keepalive, until the budget is spent.
     * Every {@value #REQUESTS_PER_CONNECTION} requests the connection ends, in turn by the client closing it
     * and by a {@code Connection: close} request Ferry closes after its answer, and a new one is opened: real
     * clients come and go, and code compiled from a profile that never saw a connection end is thrown away
     * (deoptimised) at the first one, then compiled again under load.
     */
    private static final class Client extends SimpleChannelInboundHandler<HttpObject> {
        private static final int REQUESTS_PER_CONNECTION = 8;
        private static final byte[] HIT = "GET /warm-up/cached HTTP/1.1\r\nHost: warm.up\r\nUser-Agent: ferry-warm-up\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        private static final byte[] MISS = "GET /warm-up/pass HTTP/1.1\r\nHost: warm.up\r\nUser-Agent: ferry-warm-up\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        private static final byte[] LAST = ("GET /warm-up/pass HTTP/1.1\r\nHost: warm.up\r\nUser-Agent: ferry-warm-up\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        private final Traffic traffic;
        private final boolean serverCloses;
        private boolean finished;
        private long sent;

        Client(Traffic traffic, boolean serverCloses) {
            this.traffic = traffic;
            this.serverCloses = serverCloses;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            byte[] request = ++sent == REQUESTS_PER_CONNECTION && serverCloses ? LAST : sent % 2 == 0 ? HIT : MISS;
            // Raw bytes below the codec, as a client's would arrive.
            ctx.pipeline().firstContext().writeAndFlush(Unpooled.wrappedBuffer(request));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof LastHttpContent) {
                if (traffic.answeredOver()) {
                    finish();
                } else if (sent < REQUESTS_PER_CONNECTION) {
                    send(ctx);
                } else if (!serverCloses) {
                    ctx.close(); // the next connection opens once this one is closed
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            traffic.channels.remove(ctx.channel());
            if (!finished && sent >= REQUESTS_PER_CONNECTION && !traffic.over()) {
                finished = true; // this connection's share of the latch passes to the next one
                traffic.open(serverCloses);
            } else {
                finish();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        void finish() {
            if (!finished) {
                finished = true;
                traffic.done.countDown();
            }
        }
    }

    /**
     * The warm-up's clients and their clock, which starts at the first answer: what comes before it (binding,
     * the pools, the first request's class loading and initialisation) is paid once whatever the budget, and
     * the budget is meant for traffic that gets the path compiled.
     */
    private static final class Traffic {
        private final long budgetNanos;
        private final AtomicLong end = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        /** Counts down once per client slot when its last connection is done. */
        final CountDownLatch done = new CountDownLatch(CONNECTIONS);
        /** Every channel of the warm-up, closed at its end. */
        final List<Channel> channels;
        private Bootstrap clients;

        Traffic(long budgetNanos, List<Channel> channels) {
            this.budgetNanos = budgetNanos;
            this.channels = channels;
        }

        /** Opens the clients, half of whose connections Ferry closes (Connection: close). */
        void start(Bootstrap clients) {
            this.clients = clients;
            for (int i = 0; i < CONNECTIONS; i++) {
                open(i % 2 == 0);
            }
        }

        /** Opens a connection with a client on it; one that cannot connect is done. */
        void open(boolean serverCloses) {
            Client client = new Client(this, serverCloses);
            connections.incrementAndGet();
            ChannelFuture connect = clients.clone().handler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new Http1ClientCodec(8192, 65536), client);
                }
            }).connect();
            channels.add(connect.channel());
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    client.finish();
                }
            });
        }

        /** Counts an answer (the first starts the clock); true once the budget is spent. */
        boolean answeredOver() {
            if (answered.incrementAndGet() == 1) {
                end.compareAndSet(0, System.nanoTime() + budgetNanos);
            }
            return over();
        }

        boolean over() {
            long e = end.get();
            return e != 0 && System.nanoTime() - e >= 0;
        }
    }

    /** A fixed 1 KiB answer per request head, cacheable or not by its path; no HTTP code of its own. */
    private static final class Origin extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                private int matched; // bytes of CRLFCRLF seen
                private boolean cacheable;
                private int pathChars;

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf in = (ByteBuf) msg;
                    try {
                        while (in.isReadable()) {
                            byte b = in.readByte();
                            if (pathChars < 16) { // "GET /warm-up/c..." tells which answer
                                if (++pathChars == 14) {
                                    cacheable = b == 'c';
                                }
                            }
                            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
                            if (matched == 4) {
                                matched = 0;
                                pathChars = 0;
                                ctx.write(Unpooled.wrappedBuffer(cacheable ? CACHEABLE : PASS, BODY));
                            }
                        }
                    } finally {
                        ReferenceCountUtil.release(in);
                    }
                    ctx.flush();
                }
            });
        }
    }
}
