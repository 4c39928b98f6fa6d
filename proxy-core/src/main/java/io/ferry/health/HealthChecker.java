package io.ferry.health;

import io.ferry.config.HealthCheckConfig;
import io.ferry.config.BackendConfig;
import io.ferry.http.ProxyHeaders;
import io.ferry.tls.ClientTls;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.ferry.fastcgi.FcgiRequest;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Active checks of one backend's servers, run on one event loop: every {@code interval} each server
 * gets a request on a new connection — HTTP, or a FastCGI request for a script under the document
 * root; a status in the expected range within {@code timeout} passes. Non-blocking throughout; at
 * most one check per server in flight.
 */
public final class HealthChecker {
    /** One server as the checker sees it. */
    public record Target(String name, SocketAddress address, ServerHealth health) {
    }

    /**
     * Speaks the check to a server: installs the protocol handlers and returns the request to write
     * (an HTTP request, or CGI parameters for a FastCGI application). Responses arrive as HttpResponse.
     */
    public interface Protocol {
        Object install(Channel ch, HealthCheckConfig config, Target target);
    }

    /** The HTTP check: {@code method path} with Host and Connection: close. */
    public static final Protocol HTTP = http(BackendConfig.SendProxy.NONE, null);

    /**
     * The HTTP check to servers that expect a PROXY protocol header: one that names no client (v2 LOCAL,
     * v1 UNKNOWN), as HAProxy's check-send-proxy sends, then the request; over TLS when {@code tls} is set.
     */
    public static Protocol http(BackendConfig.SendProxy sendProxy, ClientTls tls) {
        return (ch, config, target) -> {
            ch.pipeline().addFirst(new HttpClientCodec());
            if (tls != null) {
                ch.pipeline().addFirst(tls.newHandler(ch.alloc(), target.address()));
            }
            if (sendProxy != BackendConfig.SendProxy.NONE) {
                ch.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.write(ProxyHeaders.unnamed(sendProxy), ctx.voidPromise());
                        ctx.pipeline().remove(this);
                        ctx.fireChannelActive();
                    }
                });
                ch.pipeline().addFirst(HAProxyMessageEncoder.INSTANCE);
            }
            DefaultFullHttpRequest req = request(config, target);
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return req;
        };
    }

    /** The check's request as HTTP/1.1 and HTTP/2 checks send it: {@code method path}, Host, User-Agent. */
    static DefaultFullHttpRequest request(HealthCheckConfig config, Target target) {
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.valueOf(config.method()), config.path(), Unpooled.EMPTY_BUFFER);
        req.headers().set(HttpHeaderNames.HOST, config.host() != null ? config.host() : target.name())
                .set(HttpHeaderNames.USER_AGENT, "ferry-health-check");
        return req;
    }

    private final HealthCheckConfig config;
    private final List<Target> targets;
    private final EventLoop loop;
    private final Protocol protocol;
    private final Function<Target, Class<? extends Channel>> channelClass;
    private final boolean[] inFlight;
    private ScheduledFuture<?> schedule;
    private volatile boolean stopped;

    public HealthChecker(HealthCheckConfig config, List<Target> targets, EventLoop loop, Protocol protocol,
                         Function<Target, Class<? extends Channel>> channelClass) {
        this.config = config;
        this.protocol = protocol;
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
        new Bootstrap().group(loop).channel(channelClass.apply(target))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.timeout().toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(check);
                        check.request = protocol.install(ch, config, target);
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
        private Object request;
        private boolean done;

        Check(int index, Target target) {
            this.index = index;
            this.target = target;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            Object req = request;
            request = null;
            ctx.writeAndFlush(req);
            if (req instanceof FcgiRequest) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT); // ends STDIN
            }
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
