package io.ferry.handover;

import io.ferry.transport.StartupError;
import io.ferry.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;

/**
 * Listening sockets as file descriptors: what a running Ferry hands to its successor, and how the successor
 * makes a Netty server channel of one without binding (the socket, its accept queue and the connections
 * in it carry on; nothing is refused).
 */
public final class ListeningSockets {
    private ListeningSockets() {
    }

    /** The socket under a listening channel, or null when its transport (NIO) does not expose it. */
    public static FileDescriptor of(Channel listener) {
        return listener instanceof UnixChannel u ? u.fd() : null;
    }

    /** The address a listening socket is bound to. */
    public static InetSocketAddress localAddress(FileDescriptor fd) {
        return new Socket(fd.intValue()).localAddress();
    }

    /** listen(2) again: on Linux that sets the accept backlog of a socket already listening. */
    public static void listen(FileDescriptor fd, int backlog) {
        try {
            new Socket(fd.intValue()).listen(backlog);
        } catch (IOException e) {
            throw new StartupError("cannot set the accept backlog of " + localAddress(fd) + ": " + e.getMessage(), e);
        }
    }

    /** {@link #listen(FileDescriptor, int)} on a running listener; a transport without descriptors keeps its own. */
    public static void listen(Channel listener, int backlog) {
        FileDescriptor fd = of(listener);
        if (fd != null) {
            listen(fd, backlog);
        }
    }

    /** A server channel of {@code transport} over the listening socket {@code fd}, ready to register. */
    public static ServerSocketChannel adopt(Transport transport, FileDescriptor fd) {
        if (transport.serverChannel() == EpollServerSocketChannel.class) {
            return new EpollServerSocketChannel(fd.intValue());
        }
        if (transport.serverChannel() == IoUringServerSocketChannel.class) {
            return IoUringAdoption.adopt(fd.intValue());
        }
        throw new StartupError("transport " + transport.name() + " cannot take over a listening socket (epoll and"
                + " io_uring can): set ferry.global.transport to auto, io_uring or epoll for upgrades", null);
    }

    /**
     * Netty's io_uring transport has no public constructor over an existing socket (epoll has one). The channel
     * is made as usual and its socket replaced before it is registered: the fields set here are the ones its
     * own bind sets. Tied to Netty 4.2's field names, so checked once with a message saying what failed;
     * {@code UpgradeTest} exercises it with every build.
     */
    static final class IoUringAdoption {
        private static final Field SOCKET;
        private static final Field ACTIVE;
        private static final Field LOCAL;
        private static final Constructor<?> LINUX_SOCKET;
        private static final Throwable UNAVAILABLE;

        static {
            Field socket = null;
            Field active = null;
            Field local = null;
            Constructor<?> linuxSocket = null;
            Throwable failure = null;
            try {
                Class<?> base = Class.forName("io.netty.channel.uring.AbstractIoUringChannel");
                socket = accessible(base.getDeclaredField("socket"));
                active = accessible(base.getDeclaredField("active"));
                local = accessible(base.getDeclaredField("local"));
                linuxSocket = Class.forName("io.netty.channel.uring.LinuxSocket").getDeclaredConstructor(int.class);
                linuxSocket.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                failure = e;
            }
            SOCKET = socket;
            ACTIVE = active;
            LOCAL = local;
            LINUX_SOCKET = linuxSocket;
            UNAVAILABLE = failure;
        }

        private static Field accessible(Field f) {
            f.setAccessible(true);
            return f;
        }

        static ServerSocketChannel adopt(int fd) {
            if (UNAVAILABLE != null) {
                throw new StartupError("this Netty's io_uring transport cannot take over a listening socket ("
                        + UNAVAILABLE + "); set ferry.global.transport = epoll for upgrades", UNAVAILABLE);
            }
            IoUringServerSocketChannel ch = new IoUringServerSocketChannel();
            try {
                FileDescriptor own = (FileDescriptor) SOCKET.get(ch);
                own.close(); // the unbound socket the constructor opened
                Object socket = LINUX_SOCKET.newInstance(fd);
                SOCKET.set(ch, socket);
                LOCAL.set(ch, ((Socket) socket).localAddress());
                ACTIVE.setBoolean(ch, true);
                return ch;
            } catch (ReflectiveOperationException | IOException e) {
                throw new StartupError("cannot take over listening socket " + fd + " with io_uring: " + e, e);
            }
        }
    }
}
