package io.ferry.handover;

import io.ferry.config.ConfigError;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running process's side of an upgrade (HAProxy's {@code expose-fd listeners}): a unix socket, readable by
 * its owner only, on which a successor asks for the listening sockets, a copy of the cache, and finally for this
 * process to stop. Netty's epoll domain socket carries the descriptors (SCM_RIGHTS), whatever transport serves
 * the clients.
 */
public final class HandoverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    private final EventLoopGroup group;
    private final Channel channel;

    private HandoverServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Listens on {@code path}. A file already there is taken over when nothing answers on it (left by a process
     * that died); when a Ferry answers, starting is refused: that one should be upgraded instead.
     */
    public static HandoverServer open(Path path, HandoverSource source) {
        if (!Epoll.isAvailable()) {
            throw new ConfigError("ferry.global.handover-socket", "needs Linux's native epoll transport to pass sockets: "
                    + Epoll.unavailabilityCause());
        }
        if (Files.exists(path)) {
            if (HandoverClient.answers(path)) {
                throw new ConfigError("ferry.global.handover-socket", "a running Ferry answers on " + path
                        + "; upgrade it (bin/ferry upgrade) or stop it first");
            }
            try {
                Files.delete(path);
            } catch (IOException e) {
                throw new ConfigError("ferry.global.handover-socket", "cannot replace " + path + ": " + e.getMessage());
            }
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("ferry-handover", true),
                EpollIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new LineBasedFrameDecoder(HandoverProtocol.MAX_LINE),
                                    new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                    new Conversation(source));
                        }
                    }).bind(new DomainSocketAddress(path.toFile())).syncUninterruptibly().channel();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            log.info("hand-over socket on {} (bin/ferry upgrade replaces this process without refusing a connection)",
                    path);
            return new HandoverServer(group, ch);
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new ConfigError("ferry.global.handover-socket", "cannot listen on " + path + ": " + e.getMessage());
        }
    }

    /** Stops answering; the socket file goes with it. */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One successor's questions, answered in order. */
    private static final class Conversation extends SimpleChannelInboundHandler<String> {
        private final HandoverSource source;
        /** The channels named by the last "listeners", whose sockets "fds" sends. */
        private List<Channel> listed = List.of();

        Conversation(HandoverSource source) {
            this.source = source;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            String command = line.strip();
            int space = command.indexOf(' ');
            String verb = space < 0 ? command : command.substring(0, space);
            switch (verb) {
                case HandoverProtocol.LISTENERS -> listListeners(ctx);
                case HandoverProtocol.FDS -> sendSockets(ctx);
                case HandoverProtocol.CACHE -> writeCache(ctx, space < 0 ? "" : command.substring(space + 1));
                case HandoverProtocol.STOP -> stop(ctx);
                default -> ctx.writeAndFlush("error unknown command\n");
            }
        }

        private void listListeners(ChannelHandlerContext ctx) {
            StringBuilder reply = new StringBuilder("pid ").append(ProcessHandle.current().pid()).append('\n');
            List<Channel> channels = new ArrayList<>();
            for (Map.Entry<String, Channel> e : source.listeningChannels().entrySet()) {
                if (ListeningSockets.of(e.getValue()) == null || !e.getValue().isOpen()) {
                    continue; // NIO: its socket cannot be passed; the successor binds that address itself
                }
                InetSocketAddress a = (InetSocketAddress) e.getValue().localAddress();
                reply.append("listener ").append(e.getKey()).append(' ').append(a.getAddress().getHostAddress())
                        .append(':').append(a.getPort()).append('\n');
                channels.add(e.getValue());
            }
            listed = channels;
            ctx.writeAndFlush(reply.append("end ").append(channels.size()).append('\n').toString());
        }

        private void sendSockets(ChannelHandlerContext ctx) {
            for (Channel ch : listed) {
                // a copy of the descriptor object: writing it does not close the listener's own
                ctx.write(new FileDescriptor(ListeningSockets.of(ch).intValue()));
            }
            ctx.flush();
            log.warn("upgrade: {} listening sockets sent to a successor", listed.size());
        }

        private void writeCache(ChannelHandlerContext ctx, String file) {
            if (file.isEmpty()) {
                ctx.writeAndFlush("error cache needs a path\n");
                return;
            }
            Thread writer = new Thread(() -> { // seconds of I/O: off the event loop
                String reply;
                try {
                    String written = source.writeCache(Path.of(file));
                    reply = written == null ? "cache none" : "cache " + written;
                } catch (IOException | RuntimeException e) {
                    log.error("upgrade: writing the cache to {} failed: {}", file, e.toString());
                    reply = "error " + e.toString().replace('\n', ' ');
                }
                ctx.writeAndFlush(reply + "\n");
            }, "ferry-handover-cache");
            writer.setDaemon(true);
            writer.start();
        }

        private void stop(ChannelHandlerContext ctx) {
            ctx.channel().parent().close(); // the successor opens the hand-over socket next
            ctx.writeAndFlush(HandoverProtocol.STOPPING + "\n").addListener((ChannelFutureListener) f -> {
                log.warn("upgrade: the successor accepts; this process stops accepting and drains");
                new Thread(source::handedOver, "ferry-handed-over").start();
            });
        }
    }
}
