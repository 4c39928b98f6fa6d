package io.ferry.health;

import io.ferry.config.HealthCheckConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Active HTTP checks of one backend's servers, run on one event loop: every {@code interval} each
 * server gets a request on a new connection (Connection: close); a status in the expected range
 * within {@code timeout} passes. Non-blocking throughout; at most one check per server in flight.
 */
public final class HealthChecker {
    /** One server as the checker sees it. */
    public record Target(String name, InetSocketAddress address, ServerHealth health) {
    }

    private final HealthCheckConfig config;
    private final List<Target> targets;
    private final EventLoop loop;
    private final Class<? extends SocketChannel> channelClass;
    private final boolean[] inFlight;
    private ScheduledFuture<?> schedule;
    private volatile boolean stopped;

    public HealthChecker(HealthCheckConfig config, List<Target> targets, EventLoop loop,
                         Class<? extends SocketChannel> channelClass) {
        this.config = config;
        this.targets = List.copyOf(targets);
        this.loop = loop;
        this.channelClass = channelClass;
        this.inFlight = new boolean[targets.size()];
    }

    public void start() {
        long interval = config.interval().toNanos();
        loop.execute(() -> schedule = loop.scheduleAtFixedRate(this::checkAll, 0, interval, TimeUnit.NANOSECONDS));
    }

    public void stop() {
        stopped = true;
        loop.execute(() -> {
            if (schedule != null) {
                schedule.cancel(false);
            }
        });
    }

    private void checkAll() {
        for (int i = 0; i < targets.size(); i++) {
            if (!inFlight[i] && !stopped) {
                check(i);
            }
        }
    }

    private void check(int index) {
        Target target = targets.get(index);
        inFlight[index] = true;
        Check check = new Check(index, target);
        new Bootstrap().group(loop).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.timeout().toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), check);
                    }
                })
                .connect(target.address()).addListener(f -> {
                    if (!f.isSuccess()) {
                        check.finish(false, "connect: " + f.cause().getMessage());
                    }
                });
        check.timer = loop.schedule(() -> check.finish(false, "no response within " + config.timeout().toMillis() + " ms"),
                config.timeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One check of one server. */
    private final class Check extends ChannelInboundHandlerAdapter {
        private final int index;
        private final Target target;
        private Channel channel;
        private ScheduledFuture<?> timer;
        private boolean done;

        Check(int index, Target target) {
            this.index = index;
            this.target = target;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                    HttpMethod.valueOf(config.method()), config.path(), Unpooled.EMPTY_BUFFER);
            req.headers().set(HttpHeaderNames.HOST, config.host() != null ? config.host() : target.name())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.USER_AGENT, "ferry-health-check");
            ctx.writeAndFlush(req);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse res) {
                    int status = res.status().code();
                    boolean ok = res.decoderResult().isSuccess() && status >= config.expectMin()
                            && status <= config.expectMax();
                    finish(ok, "HTTP " + status);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(false, "connection closed without a response");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(false, cause.toString());
        }

        void finish(boolean ok, String detail) {
            if (done) {
                return;
            }
            done = true;
            inFlight[index] = false;
            if (timer != null) {
                timer.cancel(false);
            }
            if (channel != null) {
                channel.close();
            }
            if (!stopped) {
                target.health().checkResult(ok, detail, config.rise(), config.fall());
            }
        }
    }
}
