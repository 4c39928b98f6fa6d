package io.ferry.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * TLS to one backend's servers: the client context, and the name each connection sends as SNI and
 * checks the certificate against (server-name, else the host of the server's address). Connections
 * made with the same name and port share the context's session cache, so reconnects resume.
 */
public final class ClientTls {
    private final SslContext context;
    private final String serverName;

    public ClientTls(SslContext context, String serverName) {
        this.context = context;
        this.serverName = serverName;
    }

    /** A handler for a new connection to {@code remote}. */
    public SslHandler newHandler(ByteBufAllocator alloc, SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            return context.newHandler(alloc, serverName != null ? serverName : inet.getHostString(), inet.getPort());
        }
        return context.newHandler(alloc);
    }
}
