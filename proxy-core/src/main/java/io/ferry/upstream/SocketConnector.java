package io.ferry.upstream;

import io.ferry.config.ServerConfig;
import io.ferry.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * A connector with one connection per exchange at a time, pooled per event loop between exchanges
 * (HTTP/1.1, FastCGI): it connects on the exchange's loop within pool.max-connections, counts the
 * attempts under way from each loop, and lets the protocol set up the channel.
 */
abstract class SocketConnector implements Connector {
    protected final ServerPool pool;
    protected final SocketAddress remote;
    protected final long idleNanos;
    private final Bootstrap template;

    SocketConnector(ServerPool pool, Transport transport, Duration connectTimeout) {
        this.pool = pool;
        this.remote = pool.remoteAddress();
        this.idleNanos = pool.config().idleTimeout().toNanos();
        this.template = base(pool.server(), transport, connectTimeout).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                SocketConnector.this.initChannel(ch);
            }
        });
    }

    /** The channel type and options every connection to the server gets, whatever its protocol. */
    static Bootstrap base(ServerConfig server, Transport transport, Duration connectTimeout) {
        Bootstrap b = new Bootstrap()
                .channel(server.isUnix() ? transport.domainChannel() : transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        if (!server.isUnix()) {
            b.option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_KEEPALIVE, true);
        }
        return b;
    }

    /** The protocol's handlers, ending in an {@link UpstreamConnection}. */
    abstract void initChannel(Channel ch);

    /** Before a new connection is opened from {@code here} (FastCGI makes room for it). */
    void beforeConnect(LoopPool here) {
    }

    /** The channel is connected: hand it out when the protocol is ready (after a PROXY header, TLS). */
    void connected(Channel ch, InetSocketAddress client, java.util.function.Supplier<InetSocketAddress> ferry,
                   Promise<UpstreamConnection> ready) {
        ready.trySuccess(ch.pipeline().get(UpstreamConnection.class));
    }

    @Override
    public Future<UpstreamConnection> open(EventLoop loop, InetSocketAddress client,
                                           java.util.function.Supplier<InetSocketAddress> ferry) {
        ChannelFuture f = connect(loop);
        if (f == null) {
            return null;
        }
        Promise<UpstreamConnection> ready = loop.newPromise();
        f.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                connected(done.channel(), client, ferry, ready);
            } else {
                ready.tryFailure(done.cause());
            }
        });
        return ready;
    }

    /** Opens a connection on {@code loop}, or returns null when the server's connection limit is reached. */
    private ChannelFuture connect(EventLoop loop) {
        if (!pool.reserveConnection()) {
            return null;
        }
        LoopPool here = pool.loopPool();
        if (here.bootstrap == null) {
            here.bootstrap = template.clone(loop);
            here.loop = loop;
            pool.connectedFrom(here);
        }
        beforeConnect(here);
        here.connecting++;
        ChannelFuture f = ConnectNow.connect(here.bootstrap, remote);
        f.addListener(done -> here.attemptFinished());
        f.channel().closeFuture().addListener(closed -> pool.connectionClosed());
        return f;
    }

    /** A channel connected to the server, without the pool's limits: a one-off (FastCGI's question). */
    ChannelFuture connectOnce(EventLoop loop, ChannelInitializer<Channel> handlers) {
        return template.clone().group(loop).handler(handlers).connect(remote);
    }
}
