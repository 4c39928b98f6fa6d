package io.ferry.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts client connections over all listeners, enforces the global connection limit and keeps the
 * set of open connections that a graceful shutdown drains. First handler of every client pipeline.
 */
@ChannelHandler.Sharable
final class ClientConnections extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientConnections.class);

    private final int max;
    private final AtomicInteger count = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private volatile long lastWarning;

    ClientConnections(int max) {
        this.max = max;
    }

    int count() {
        return count.get();
    }

    ChannelGroup channels() {
        return channels;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            long now = System.nanoTime();
            if (now - lastWarning > 1_000_000_000L) {
                lastWarning = now;
                log.warn("connection limit global.max-connections={} reached; closing new connections", max);
            }
            ch.close();
            return;
        }
        channels.add(ch);
        ch.closeFuture().addListener(f -> count.decrementAndGet());
        ctx.fireChannelActive();
    }
}
