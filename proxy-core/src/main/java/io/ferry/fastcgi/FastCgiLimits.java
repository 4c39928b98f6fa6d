package io.ferry.fastcgi;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Asks a FastCGI server how many connections it takes at once: FCGI_GET_VALUES for FCGI_MAX_CONNS
 * (FastCGI 1.0 §4.1; php-fpm answers with its pm.max_children). The last handler of a one-shot
 * connection: it sends the question when connected, and reports the number — or -1 when the server
 * closes, errs, answers without it, or stays silent past the timeout — exactly once, then closes.
 */
public final class FastCgiLimits extends ChannelInboundHandlerAdapter {
    public static final String MAX_CONNS = "FCGI_MAX_CONNS";

    private final long timeoutMillis;
    private final IntConsumer done;
    private ScheduledFuture<?> timer;
    private boolean reported;

    public FastCgiLimits(long timeoutMillis, IntConsumer done) {
        this.timeoutMillis = timeoutMillis;
        this.done = done;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> report(ctx, -1), timeoutMillis, TimeUnit.MILLISECONDS);
        ctx.writeAndFlush(FcgiEncoding.getValues(ctx.alloc(), List.of(MAX_CONNS, "FCGI_MAX_REQS", "FCGI_MPXS_CONNS")));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof FcgiRecord r && r.type() == FcgiRecord.GET_VALUES_RESULT) {
                Map<String, String> values = FcgiEncoding.readPairs(r.content());
                report(ctx, parse(values.get(MAX_CONNS)));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static int parse(String value) {
        try {
            int n = value == null ? -1 : Integer.parseInt(value.trim());
            return n > 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        report(ctx, -1);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        report(ctx, -1);
    }

    private void report(ChannelHandlerContext ctx, int maxConns) {
        if (reported) {
            return;
        }
        reported = true;
        if (timer != null) {
            timer.cancel(false);
        }
        ctx.close();
        done.accept(maxConns);
    }
}
