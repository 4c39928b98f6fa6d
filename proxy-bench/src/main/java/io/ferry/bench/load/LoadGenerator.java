package io.ferry.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An HTTP/1.1 load generator on Netty: keepalive connections, closed loop (each connection sends its
 * next request when the last answer ends) or open loop at a fixed total rate. In open loop every
 * connection follows its own schedule and latency is measured from when a request should have been
 * sent, not when it could be: a stall is counted for every request it delays (coordinated-omission
 * correction, as wrk2 does). Bounded by a duration or a request count; stops by itself. An optional
 * warm-up runs the same load first and records nothing (a JIT-compiled target, or this generator
 * itself, is slow for its first seconds); the open-loop schedule then restarts, so a warm-up backlog
 * is not counted against the measurement.
 */
public final class LoadGenerator {
    /**
     * What to run. {@code rate} 0 means closed loop; {@code warmupNanos} of unrecorded load go first. {@code headers}
     * are sent with every request, after and instead of the defaults of the same name (Host, User-Agent): a
     * virtual host to reach on an address, as wrk's {@code -H}. {@code serverPids}: processes (with their
     * descendants) whose CPU use while measuring is reported, the server under load when it runs here.
     */
    public record Options(URI uri, int connections, int threads, long durationNanos, long maxRequests, double rate,
                          long timeoutNanos, long warmupNanos, HttpHeaders headers, List<Long> serverPids) {
        public Options(URI uri, int connections, int threads, long durationNanos, long maxRequests, double rate,
                       long timeoutNanos, long warmupNanos) {
            this(uri, connections, threads, durationNanos, maxRequests, rate, timeoutNanos, warmupNanos,
                    EmptyHttpHeaders.INSTANCE, List.of());
        }

        public Options(URI uri, int connections, int threads, long durationNanos, long maxRequests, double rate,
                       long timeoutNanos) {
            this(uri, connections, threads, durationNanos, maxRequests, rate, timeoutNanos, 0);
        }
    }

    /**
     * What happened. Latencies in microseconds. {@code perConnection}: for each connection, how many
     * requests it completed (a histogram over connections) and its own p99 (likewise), so an unfair
     * server — some connections served far less often than others — shows up beside the overall latency.
     * {@code warmupRequests} were answered before the measurement; {@code cpuShare} is the CPU this process used
     * while measuring, in cores (1.0 = one core busy throughout): near the cores it may use, the generator and not
     * the server set the pace. NaN when the JVM cannot tell. {@code serverCpuShare} likewise for the processes
     * named in the options (NaN when none).
     */
    public record Result(long requests, double seconds, Histogram latency, Map errors, Histogram requestsPerConnection,
                         Histogram p99PerConnection, long warmupRequests, double cpuShare, double serverCpuShare) {
        public double throughput() {
            return requests / seconds;
        }
    }

    /** Errors by kind: connect, reset, timeout, status 4xx / 5xx. */
    public static final class Map extends ConcurrentHashMap<String, LongAdder> {
        void count(String kind) {
            computeIfAbsent(kind, k -> new LongAdder()).increment();
        }

        public long total() {
            long n = 0;
            for (LongAdder a : values()) {
                n += a.sum();
            }
            return n;
        }
    }

    private final Options options;
    private final Recorder recorder = new Recorder(3_600_000_000L, 3);
    private final Map errors = new Map();
    private final AtomicLong issued = new AtomicLong();
    private final LongAdder completed = new LongAdder();
    private final LongAdder warmedUp = new LongAdder();
    private volatile long cpuAtStart = -1;
    private volatile long serverCpuAtStart = -1;
    private final java.util.List<Connection> connections = new java.util.ArrayList<>();
    private volatile boolean stopping;
    private long measureStart;

    public LoadGenerator(Options options) {
        this.options = options;
    }

    public Result run() throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.threads(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        URI uri = options.uri();
        boolean tls = "https".equals(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        SslContext ssl = tls ? SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build() : null;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        CountDownLatch done = new CountDownLatch(options.connections());
        long begin = System.nanoTime();
        long start = begin + options.warmupNanos();
        measureStart = start;
        long end = options.durationNanos() > 0 ? start + options.durationNanos() : Long.MAX_VALUE;
        long cpuAtEnd = -1;
        long serverCpuAtEnd = -1;
        long stoppedAt = 0;
        // Open loop: each connection sends every `interval`, connections staggered over one interval.
        long interval = options.rate() > 0 ? (long) (1e9 * options.connections() / options.rate()) : 0;
        try {
            Bootstrap b = new Bootstrap().group(group)
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
            for (int i = 0; i < options.connections(); i++) {
                long first = begin + (interval == 0 ? 0 : interval * i / options.connections());
                Connection c = new Connection(path, host, first, interval, end, done);
                connections.add(c);
                b.clone().handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), uri.getHost(), port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), c);
                    }
                }).connect(uri.getHost(), port).addListener(f -> {
                    if (!f.isSuccess()) {
                        errors.count("connect");
                        done.countDown();
                    }
                });
            }
            long untilStart = start - System.nanoTime();
            if (untilStart > 0) {
                group.next().schedule(this::measurementStarts, untilStart, TimeUnit.NANOSECONDS);
            } else {
                measurementStarts();
            }
            long budget = options.warmupNanos() + (options.durationNanos() > 0
                    ? options.durationNanos() + options.timeoutNanos() + 5_000_000_000L : TimeUnit.HOURS.toNanos(1));
            if (!done.await(budget, TimeUnit.NANOSECONDS)) {
                stopping = true;
                errors.count("timeout");
            }
            stoppedAt = System.nanoTime();
            cpuAtEnd = processCpuNanos();
            serverCpuAtEnd = ProcessCpu.nanos(options.serverPids());
        } finally {
            stopping = true;
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        // the measurement ends when the last connection is done, not when the event loops have shut down
        double seconds = Math.max(1, (stoppedAt != 0 ? stoppedAt : System.nanoTime()) - start) / 1e9;
        double cpuShare = cpuAtStart < 0 || cpuAtEnd < 0 ? Double.NaN : (cpuAtEnd - cpuAtStart) / 1e9 / seconds;
        double serverCpuShare = serverCpuAtStart < 0 || serverCpuAtEnd < 0 ? Double.NaN
                : (serverCpuAtEnd - serverCpuAtStart) / 1e9 / seconds;
        Histogram counts = new Histogram(3);
        Histogram p99s = new Histogram(3_600_000_000L, 3);
        for (Connection c : connections) {
            counts.recordValue(c.latency.getTotalCount());
            if (c.latency.getTotalCount() > 0) {
                p99s.recordValue(c.latency.getValueAtPercentile(99));
            }
        }
        return new Result(completed.sum(), seconds, recorder.getIntervalHistogram(), errors, counts, p99s,
                warmedUp.sum(), cpuShare, serverCpuShare);
    }

    private void measurementStarts() {
        cpuAtStart = processCpuNanos();
        serverCpuAtStart = ProcessCpu.nanos(options.serverPids());
    }

    /** CPU time of this process (all its threads: event loops, JIT, GC); -1 when the JVM does not say. */
    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** One keepalive connection issuing requests in sequence. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private final String path;
        private final String host;
        private final long interval;
        private final long end;
        private final CountDownLatch done;
        private long intended;
        private long sentAt;
        private long sentReally;
        private boolean inFlight;
        private boolean finished;
        private boolean measuring;
        private boolean recording;
        private ChannelHandlerContext ctx;
        /** This connection's own latencies (µs); read after its event loop has stopped. */
        private final Histogram latency = new Histogram(3_600_000_000L, 2);

        Connection(String path, String host, long first, long interval, long end, CountDownLatch done) {
            this.path = path;
            this.host = host;
            this.intended = first;
            this.interval = interval;
            this.end = end;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            long period = Math.max(options.timeoutNanos() / 4, 10_000_000L);
            ctx.executor().scheduleAtFixedRate(this::checkTimeout, period, period, TimeUnit.NANOSECONDS);
            schedule();
        }

        private void schedule() {
            long now = System.nanoTime();
            if (!measuring && now >= measureStart) {
                measuring = true;
                // The schedule restarts with the measurement: no backlog carried over from the warm-up.
                intended = Math.max(intended, now);
            }
            if (stopping || now >= end || (options.maxRequests() > 0 && issued.get() >= options.maxRequests())) {
                finish();
                return;
            }
            if (interval == 0) {
                send(now);
            } else if (intended <= now) {
                send(intended); // behind schedule: send now, latency still counts from the intended time
            } else {
                ctx.executor().schedule(() -> send(intended), intended - now, TimeUnit.NANOSECONDS);
            }
        }

        private void send(long from) {
            if (finished || !ctx.channel().isActive()) {
                finish();
                return;
            }
            recording = measuring;
            if (recording && options.maxRequests() > 0 && issued.incrementAndGet() > options.maxRequests()) {
                finish();
                return;
            }
            sentAt = from;
            sentReally = System.nanoTime();
            inFlight = true;
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
            req.headers().set(HttpHeaderNames.HOST, host).set(HttpHeaderNames.USER_AGENT, "ferry-load")
                    .setAll(options.headers());
            ctx.writeAndFlush(req);
        }

        /** One periodic check per connection instead of a timer per request. */
        private void checkTimeout() {
            if (inFlight && System.nanoTime() - sentReally > options.timeoutNanos()) {
                errors.count("timeout");
                finish();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    int code = r.status().code();
                    if (code >= 400 && recording) {
                        errors.count("status " + code / 100 + "xx");
                    }
                }
                if (msg instanceof LastHttpContent && inFlight) {
                    inFlight = false;
                    long now = System.nanoTime();
                    if (recording) {
                        long micros = Math.max(1, (now - sentAt) / 1000);
                        recorder.recordValue(micros);
                        latency.recordValue(micros);
                        completed.increment();
                    } else {
                        warmedUp.increment();
                    }
                    intended += interval;
                    schedule();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!finished) {
                if (inFlight) {
                    errors.count("reset");
                }
                finish();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.count("reset");
            ctx.close();
        }

        private void finish() {
            if (!finished) {
                finished = true;
                done.countDown();
                if (ctx != null) {
                    ctx.close();
                }
            }
        }
    }

}
