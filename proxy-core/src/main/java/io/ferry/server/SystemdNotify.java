package io.ferry.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) without libsystemd: one datagram to {@code $NOTIFY_SOCKET} when systemd started Ferry with one.
 * {@code READY=1} lets a {@code Type=notify} unit know the listeners are open; {@code MAINPID} makes an upgraded
 * process the unit's main process ({@code NotifyAccess=all}); nothing happens without the variable.
 */
public final class SystemdNotify {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

    private SystemdNotify() {
    }

    /** Sends {@code state} (newline-separated assignments); failures are logged, never thrown. */
    public static void send(String state) {
        String socket = System.getenv("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return;
        }
        if (socket.startsWith("@") || !Epoll.isAvailable()) {
            log.warn("NOTIFY_SOCKET {} not usable here (abstract socket, or no native epoll): systemd not told {}",
                    socket, state.replace('\n', ' '));
            return;
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(new DomainSocketAddress(socket)).sync().channel();
            ch.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8)).sync();
            ch.close().sync();
        } catch (Exception e) {
            log.warn("telling systemd {} over {} failed: {}", state.replace('\n', ' '), socket, e.toString());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }
}
