package io.ferry.upstream;

import io.ferry.fastcgi.FastCgiClientCodec;
import io.ferry.fastcgi.FastCgiLimits;
import io.ferry.fastcgi.FcgiRecordDecoder;
import io.ferry.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FastCGI connections to an application such as php-fpm, which gives one child to a connection for as
 * long as it stays open. With a known limit (max-conns, or the FCGI_MAX_CONNS it announces) connections
 * are kept alive (FCGI_KEEP_CONN) up to it; without one each request gets a connection the application
 * closes after it, so its own backlog queues requests for every child it has and none is held idle.
 */
final class FastCgiConnector extends SocketConnector {
    private static final Logger log = LoggerFactory.getLogger(FastCgiConnector.class);

    private final int maxHeaderSize;

    FastCgiConnector(ServerPool pool, Transport transport, int maxHeaderSize, Duration connectTimeout) {
        super(pool, transport, connectTimeout);
        this.maxHeaderSize = maxHeaderSize;
    }

    @Override
    void initChannel(Channel ch) {
        boolean keepAlive = pool.maxConns() > 0; // decided when the connection opens, for its whole life
        ch.pipeline().addLast("records", new FcgiRecordDecoder());
        ch.pipeline().addLast("fastcgi", new FastCgiClientCodec(pool.name(), maxHeaderSize, keepAlive));
        ch.pipeline().addLast("upstream", new UpstreamConnection(pool, idleNanos, keepAlive));
    }

    /**
     * A connection idle on another loop holds a child, so one beyond the server's limit would wait in its
     * backlog until timeouts.server: another loop is asked to close an idle one first.
     */
    @Override
    void beforeConnect(LoopPool here) {
        int limit = pool.maxConns();
        if (limit > 0 && pool.openConnections() > limit) {
            pool.shedIdleElsewhere(here);
        }
    }

    /**
     * For a server without max-conns: asks it (FCGI_GET_VALUES) how many connections it takes, on
     * {@code loop}, without blocking. An answer becomes its limit, and its connections are kept alive
     * from then on; without one (php-fpm 8.2 does not say) each request has a connection of its own.
     */
    void learnLimit(EventLoop loop, ServerState state) {
        IntConsumer learned = n -> {
            if (n > 0) {
                state.learnedMaxConns = n;
                log.info("FastCGI server {} takes {} connections at once (FCGI_MAX_CONNS): used as its max-conns,"
                        + " with keepalive connections", pool.name(), n);
            } else {
                log.info("FastCGI server {} does not say how many connections it takes (FCGI_MAX_CONNS): a"
                        + " connection per request, queued by the server for all its children (set max-conns to"
                        + " its pm.max_children for keepalive connections)", pool.name());
            }
        };
        connectOnce(loop, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new FcgiRecordDecoder(), new FastCgiLimits(2000, learned));
            }
        }).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                learned.accept(-1);
            }
        });
    }
}
