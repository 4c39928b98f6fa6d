package io.ferry.upstream;

import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * How connections to one server are made, one implementation per upstream protocol: HTTP/1.1
 * ({@link Http1Connector}), FastCGI ({@link FastCgiConnector}), HTTP/2 ({@link Http2Upstream}). The
 * {@link ServerPool} around it keeps what is the same for all: the server's state, its idle connections
 * per event loop and the requests waiting for one.
 */
interface Connector {
    /**
     * A connection for one exchange, opened on the calling event loop — for HTTP/2 a new stream on the
     * loop's connection to the server — or null when pool.max-connections is reached. {@code client} is who
     * reached Ferry at {@code ferry}, for a PROXY protocol header (null: a request of Ferry's own); {@code ferry}
     * is asked only then (a client channel keeps its local address once asked: ~100 B per connection).
     */
    Future<UpstreamConnection> open(io.netty.channel.EventLoop loop, InetSocketAddress client,
                                    java.util.function.Supplier<InetSocketAddress> ferry);

    /** A stream per request over a few shared connections (HTTP/2): there is no idle connection to reuse. */
    default boolean multiplexed() {
        return false;
    }

    /** The pool was retired by a reload: let go of what the calling loop holds for new requests. */
    default void retireOnThisLoop() {
    }
}
