package io.ferry.transport;

import io.ferry.config.TransportKind;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty transport in use: event-loop implementation and the matching channel classes. Client and
 * upstream channels must come from the same transport so an upstream connection can live on the
 * event loop of the client connection that uses it.
 */
public record Transport(String name,
                        Supplier<IoHandlerFactory> ioHandlerFactory,
                        Class<? extends ServerSocketChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel,
                        Class<? extends Channel> domainChannel,
                        Function<String, SocketAddress> domainAddress) {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    static final String MULTISHOT_POLL = "io.netty.iouring.pollAddMultishotEnabled";

    static {
        // Netty's multishot POLL_ADD is edge-triggered: a wake-up that comes while a channel is not reading
        // can be forgotten when a cancelled receive completes after autoRead turned on again, and the channel
        // then waits for bytes that never come. A client that reset its connection during a backpressured
        // upload went unnoticed that way (ConnectionDrillsTest, drill 5: one run in three). A one-shot poll is
        // armed anew for each read and sees what is already there. Set before Netty reads it; -D wins.
        if (System.getProperty(MULTISHOT_POLL) == null) {
            System.setProperty(MULTISHOT_POLL, "false");
        }
    }

    /** Resolves the configured kind; AUTO prefers io_uring, then native epoll, then NIO. */
    public static Transport select(TransportKind kind) {
        return switch (kind) {
            case NIO -> nio();
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport epoll is not available here: "
                            + Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("transport io_uring is not available here: "
                            + IoUring.unavailabilityCause());
                }
                yield ioUring();
            }
            case AUTO -> {
                // io_uring batches each loop's reads and writes into one system call: on the benchmark
                // machine that is the difference between trailing and leading HAProxy (BENCHMARKS.md).
                if (IoUring.isAvailable()) {
                    yield ioUring();
                }
                if (Epoll.isAvailable()) {
                    log.info("io_uring unavailable ({}); using native epoll",
                            String.valueOf(IoUring.unavailabilityCause()));
                    yield epoll();
                }
                log.info("native epoll unavailable ({}); using NIO", String.valueOf(Epoll.unavailabilityCause()));
                yield nio();
            }
        };
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory.get());
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel.class,
                NioDomainSocketChannel.class, UnixDomainSocketAddress::of);
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDomainSocketChannel.class, DomainSocketAddress::new);
    }

    /**
     * A completion queue four times the submission ring: with thousands of sockets on one loop, a turn's
     * completions overflow Netty's default (as large as the ring) and are taken the slow way, logged each time.
     */
    private static Transport ioUring() {
        return new Transport("io_uring",
                () -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setRingSize(4096).setCqSize(16384)),
                IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDomainSocketChannel.class, DomainSocketAddress::new);
    }
}
