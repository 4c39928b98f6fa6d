package io.ferry.handover;

import io.ferry.transport.StartupError;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The successor's side of an upgrade: asks the running Ferry on its hand-over socket for its listening sockets and
 * a copy of its cache, and, once this process accepts, tells it to stop. Blocking: it runs before this process
 * serves anything.
 */
public final class HandoverClient implements AutoCloseable {
    private static final Object CLOSED = new Object();

    private final EventLoopGroup group;
    private final EpollDomainSocketChannel channel;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final long timeoutMillis;
    private long predecessorPid = -1;

    private HandoverClient(Path path, long timeoutMillis) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("passing sockets needs Linux's native epoll: " + Epoll.unavailabilityCause());
        }
        this.timeoutMillis = timeoutMillis;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ferry-upgrade", true),
                EpollIoHandler.newFactory());
        try {
            this.channel = (EpollDomainSocketChannel) new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                    new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            received.add(msg); // a line, or a FileDescriptor
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            received.add(CLOSED);
                                        }
                                    });
                        }
                    }).connect(new DomainSocketAddress(path.toFile())).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("no running Ferry answers on " + path + ": " + e.getMessage(), e);
        }
    }

    /** Connects to the Ferry running behind {@code path}; each answer is awaited at most {@code timeoutMillis}. */
    public static HandoverClient connect(Path path, long timeoutMillis) throws IOException {
        return new HandoverClient(path, timeoutMillis);
    }

    /** True when a Ferry answers on {@code path} (a stale file left by a crash does not). */
    static boolean answers(Path path) {
        try (HandoverClient c = new HandoverClient(path, 2_000)) {
            c.ask(HandoverProtocol.LISTENERS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The predecessor's process id, known after {@link #listeningSockets}. */
    public long predecessorPid() {
        return predecessorPid;
    }

    /** The predecessor's listening sockets, now also this process's (it keeps its copies until it stops). */
    public List<FileDescriptor> listeningSockets() throws IOException {
        List<String> lines = ask(HandoverProtocol.LISTENERS);
        int count = Integer.parseInt(lines.get(lines.size() - 1).substring("end ".length()));
        channel.config().setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS);
        channel.writeAndFlush(HandoverProtocol.FDS + "\n");
        List<FileDescriptor> sockets = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                Object next = next();
                if (!(next instanceof FileDescriptor fd)) {
                    throw new IOException("expected a socket from the running Ferry, got " + next);
                }
                sockets.add(fd);
            }
        } catch (IOException e) {
            for (FileDescriptor fd : sockets) {
                fd.close();
            }
            throw e;
        }
        channel.config().setReadMode(DomainSocketReadMode.BYTES);
        return sockets;
    }

    /**
     * Has the predecessor write its cache to {@code file}; returns false when it keeps none.
     *
     * @throws IOException when it could not
     */
    public boolean cacheTo(Path file) throws IOException {
        String reply = ask(HandoverProtocol.CACHE + " " + file.toAbsolutePath()).get(0);
        if (reply.startsWith("error")) {
            throw new IOException("the running Ferry could not write its cache: " + reply.substring(5).strip());
        }
        return !reply.equals("cache none");
    }

    /** Tells the predecessor this process accepts: it stops accepting, drains and exits. */
    public void stopPredecessor() throws IOException {
        List<String> reply = ask(HandoverProtocol.STOP);
        if (!reply.get(0).equals(HandoverProtocol.STOPPING)) {
            throw new IOException("the running Ferry answered stop with " + reply.get(0));
        }
    }

    /** Sends {@code command}; returns its answer's lines ("listeners" has several, ending with "end N"). */
    private List<String> ask(String command) throws IOException {
        channel.writeAndFlush(command + "\n");
        List<String> lines = new ArrayList<>();
        while (true) {
            Object next = next();
            if (!(next instanceof String line)) {
                throw new IOException("unexpected answer to " + command + ": " + next);
            }
            lines.add(line);
            if (!command.equals(HandoverProtocol.LISTENERS)) {
                return lines;
            }
            if (line.startsWith("pid ")) {
                predecessorPid = Long.parseLong(line.substring(4).strip());
            } else if (line.startsWith("end ")) {
                return lines;
            } else if (!line.startsWith("listener ")) {
                throw new IOException("unexpected answer to " + command + ": " + line);
            }
        }
    }

    private Object next() throws IOException {
        try {
            Object next = received.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (next == null) {
                throw new IOException("the running Ferry did not answer within " + timeoutMillis + " ms");
            }
            if (next == CLOSED) {
                throw new IOException("the running Ferry closed the hand-over connection");
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /** For messages naming the cause: a StartupError around {@code e}. */
    public static StartupError failed(Path path, IOException e) {
        return new StartupError("upgrade through " + path + " failed: " + e.getMessage(), e);
    }
}
