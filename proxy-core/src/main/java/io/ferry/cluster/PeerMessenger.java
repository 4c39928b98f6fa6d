package io.ferry.cluster;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an invalidation (PURGE, BAN) on to the fleet's other members, each over a connection of its own
 * (invalidations are rare; they need no pool), and keeps the ones a peer did not take: they are sent
 * again every {@link #RETRY_EVERY} until it takes them or {@code retryFor} has passed, so a peer that was
 * briefly away — restarting, cut off — is not left serving what the others dropped. Lives as long as the
 * server (across reloads), on its event loops; nothing here blocks.
 */
public final class PeerMessenger {
    private static final Logger log = LoggerFactory.getLogger(PeerMessenger.class);
    static final Duration RETRY_EVERY = Duration.ofSeconds(2);

    /** One invalidation as it is sent: method, target and fields. */
    public record Message(String method, String uri, List<Map.Entry<String, String>> headers) {
    }

    /** What one peer said: its status and the first line of its answer, or why it could not be asked. */
    public record Reply(String peer, boolean applied, String detail) {
    }

    private record Pending(Message message, InetSocketAddress peer, long until) {
    }

    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** A retry round is scheduled (only while something is pending: an idle server schedules nothing). */
    private final java.util.concurrent.atomic.AtomicBoolean retryScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    public PeerMessenger(EventLoopGroup group, Class<? extends SocketChannel> channelType) {
        this.group = group;
        this.channelType = channelType;
    }

    private void keep(Pending p) {
        pending.add(p);
        if (!closed && retryScheduled.compareAndSet(false, true)) {
            try {
                group.next().schedule(() -> {
                    retryScheduled.set(false);
                    retry();
                }, RETRY_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                retryScheduled.set(false); // the server is stopping: nothing is sent again
            }
        }
    }

    /**
     * Sends {@code m} to every peer; the future completes with each peer's reply once all have answered
     * or {@code timeout} has passed (a peer that has not answered by then is reported as such, and is
     * sent the message again until {@code retryFor} has passed, as is one that failed).
     */
    public CompletableFuture<List<Reply>> fanOut(Message m, List<InetSocketAddress> peers, Duration timeout, Duration retryFor) {
        Map<String, CompletableFuture<Reply>> each = new LinkedHashMap<>();
        long until = System.nanoTime() + retryFor.toNanos();
        for (InetSocketAddress peer : peers) {
            CompletableFuture<Reply> r = send(m, peer, timeout).whenComplete((reply, e) -> {
                if (reply == null || !reply.applied()) {
                    keep(new Pending(m, peer, until));
                }
            });
            each.put(ShardRing.memberName(peer), r);
        }
        CompletableFuture<List<Reply>> all = new CompletableFuture<>();
        CompletableFuture.allOf(each.values().toArray(new CompletableFuture[0])).whenComplete((v, e) -> {
            List<Reply> replies = new ArrayList<>();
            each.forEach((peer, f) -> replies.add(f.getNow(new Reply(peer, false, "no answer"))));
            all.complete(replies);
        });
        return all;
    }

    /** Invalidations still to be delivered. */
    public int pendingCount() {
        return pending.size();
    }

    private void retry() {
        if (closed) {
            return;
        }
        int n = pending.size();
        for (int i = 0; i < n; i++) {
            Pending p = pending.poll();
            if (p == null) {
                return;
            }
            if (System.nanoTime() - p.until() > 0) {
                log.warn("peer {} never took {} {} within cluster.retry-for; given up", ShardRing.memberName(p.peer()),
                        p.message().method(), p.message().uri());
                continue;
            }
            send(p.message(), p.peer(), RETRY_EVERY).whenComplete((reply, e) -> {
                if (reply != null && reply.applied()) {
                    log.info("peer {} took {} {} on a later attempt: {}", reply.peer(), p.message().method(),
                            p.message().uri(), reply.detail());
                } else {
                    keep(p);
                }
            });
        }
    }

    /** One request to one peer on a new connection; never fails the future (the reply says what happened). */
    CompletableFuture<Reply> send(Message m, InetSocketAddress peer, Duration timeout) {
        CompletableFuture<Reply> done = new CompletableFuture<>();
        String name = ShardRing.memberName(peer);
        if (closed) {
            done.complete(new Reply(name, false, "stopping"));
            return done;
        }
        Bootstrap b = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                        String body = r.content().toString(StandardCharsets.UTF_8).strip();
                                        int nl = body.indexOf('\n');
                                        done.complete(new Reply(name, r.status().code() == 200,
                                                r.status().code() + " " + (nl < 0 ? body : body.substring(0, nl))));
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        done.complete(new Reply(name, false, "connection closed before an answer"));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        done.complete(new Reply(name, false, cause.toString()));
                                        ctx.close();
                                    }
                                });
                    }
                });
        b.connect(peer).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                done.complete(new Reply(name, false, "cannot connect: " + f.cause().getMessage()));
                return;
            }
            Channel ch = f.channel();
            ch.eventLoop().schedule(() -> {
                if (done.complete(new Reply(name, false, "no answer within " + timeout.toMillis() + " ms"))) {
                    ch.close();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(m.method()), m.uri());
            HttpHeaders h = req.headers();
            m.headers().forEach(e -> h.add(e.getKey(), e.getValue()));
            h.set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, "close");
            ch.writeAndFlush(req);
        });
        return done;
    }

    public void close() {
        closed = true;
        pending.clear();
    }
}
