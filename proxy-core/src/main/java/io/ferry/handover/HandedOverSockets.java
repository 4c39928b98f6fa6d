package io.ferry.handover;

import io.ferry.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets a predecessor handed over, by address, until the listener (or admin, or demo origin)
 * configured on each takes it. Whatever binds a socket binds through {@link #bind}: a handed-over socket on the
 * address is taken instead of binding, so the port never closes.
 */
public final class HandedOverSockets {
    private static final Logger log = LoggerFactory.getLogger(HandedOverSockets.class);

    private final Map<InetSocketAddress, FileDescriptor> free = new LinkedHashMap<>();
    private final boolean fromPredecessor;

    /** The sockets a predecessor handed over (an upgrade). */
    public HandedOverSockets(List<FileDescriptor> sockets) {
        this(sockets, true);
    }

    private HandedOverSockets(List<FileDescriptor> sockets, boolean fromPredecessor) {
        for (FileDescriptor fd : sockets) {
            free.put(ListeningSockets.localAddress(fd), fd);
        }
        this.fromPredecessor = fromPredecessor;
    }

    /** Whether a predecessor handed its sockets over: this start is an upgrade. */
    public boolean fromPredecessor() {
        return fromPredecessor;
    }

    /** None: every bind binds. */
    public static HandedOverSockets none() {
        return new HandedOverSockets(List.of(), false);
    }

    /** The handed-over socket on {@code host:port}, now the caller's; null when none (or the port is 0: any). */
    public synchronized FileDescriptor take(String host, int port) {
        if (port == 0 || free.isEmpty()) {
            return null;
        }
        try {
            FileDescriptor fd = free.remove(new InetSocketAddress(InetAddress.getByName(host), port));
            if (fd != null) {
                log.info("upgrade: {}:{} taken over from the previous process (its queue and connections carry on)",
                        host, port);
            }
            return fd;
        } catch (UnknownHostException e) {
            return null; // the bind that follows names the problem
        }
    }

    /**
     * Binds {@code b} (its channel class not set) to {@code host:port} with {@code transport}, or registers it over the
     * handed-over socket on that address, taking the backlog given (-1: as it was).
     */
    public ChannelFuture bind(ServerBootstrap b, Transport transport, String host, int port, int backlog) {
        FileDescriptor fd = take(host, port);
        if (fd == null) {
            return b.channel(transport.serverChannel()).bind(host, port);
        }
        if (backlog > 0) {
            ListeningSockets.listen(fd, backlog);
        }
        return b.channelFactory(() -> ListeningSockets.adopt(transport, fd)).register();
    }

    /** Releases this process's copies of the sockets nothing took (the predecessor closes its own). */
    public synchronized void closeUntaken() {
        free.forEach((address, fd) -> {
            log.info("upgrade: the previous process listened on {}, which this configuration does not", address);
            try {
                fd.close();
            } catch (IOException e) {
                log.debug("closing handed-over socket {}", address, e);
            }
        });
        free.clear();
    }
}
