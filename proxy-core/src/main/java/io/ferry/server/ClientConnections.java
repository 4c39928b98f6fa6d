package io.ferry.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts client connections over all listeners, enforces the global connection limit and keeps the
 * set of open connections that a graceful shutdown drains. Not a handler: a connection is admitted once,
 * when its pipeline is built, and leaves through one listener on its close future shared by all, so an
 * idle connection carries nothing of this class but its entry in the set.
 */
final class ClientConnections {
    private static final Logger log = LoggerFactory.getLogger(ClientConnections.class);

    private final int max;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final ChannelFutureListener onClose = f -> {
        if (open.remove(f.channel())) {
            count.decrementAndGet();
        }
    };
    private volatile long lastWarning;

    ClientConnections(int max) {
        this.max = max;
    }

    int count() {
        return count.get();
    }

    /** The open connections now, as a group that can close them all. */
    ChannelGroup channels() {
        ChannelGroup group = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
        open.forEach(group::add);
        return group;
    }

    /** Counts a new connection in, or closes it (false) when global.max-connections are open. */
    boolean admit(Channel ch) {
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            long now = System.nanoTime();
            if (now - lastWarning > 1_000_000_000L) {
                lastWarning = now;
                log.warn("connection limit global.max-connections={} reached; closing new connections", max);
            }
            ch.close();
            return false;
        }
        open.add(ch);
        ch.closeFuture().addListener(onClose);
        return true;
    }
}
