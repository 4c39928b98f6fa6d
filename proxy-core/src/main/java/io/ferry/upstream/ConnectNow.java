package io.ferry.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Opens a connection from the event loop it will live on, at once.
 *
 * <p>Why: {@link Bootstrap#connect} registers the channel and then hands the connect to the loop as a
 * task. Netty's io_uring loop runs tasks only after an I/O phase, which under load lasts many passes,
 * so each new upstream connection waited a phase before it even started; a load that began on an
 * empty pool (a thousand HTTP/2 streams at once) saw its first answers hundreds of milliseconds late.
 * Off the loop, or for a name still to be resolved, Bootstrap does it as before.
 */
final class ConnectNow {
    private ConnectNow() {
    }

    static ChannelFuture connect(Bootstrap bootstrap, SocketAddress remote) {
        if (!(bootstrap.config().group() instanceof EventLoop loop) || !loop.inEventLoop()
                || remote instanceof InetSocketAddress inet && inet.isUnresolved()) {
            return bootstrap.connect(remote);
        }
        ChannelFuture registered = bootstrap.register();
        Channel ch = registered.channel();
        if (registered.isDone()) {
            return registered.isSuccess() ? connect(ch, remote, ch.newPromise()) : registered;
        }
        ChannelPromise connected = ch.newPromise();
        registered.addListener(r -> {
            if (r.isSuccess()) {
                connect(ch, remote, connected);
            } else {
                connected.tryFailure(r.cause());
            }
        });
        return connected;
    }

    private static ChannelFuture connect(Channel ch, SocketAddress remote, ChannelPromise promise) {
        ch.connect(remote, promise);
        return promise.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
