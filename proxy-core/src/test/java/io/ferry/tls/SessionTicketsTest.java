package io.ferry.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.ferry.config.ConfigLoader;
import io.ferry.config.ListenerConfig;
import io.ferry.testing.OpenSslClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotation puts the new key into the contexts the latest {@code applyTo} named, whoever holds the running
 * configuration at that moment: a reload that hands new contexts over while a rotation runs cannot leave them
 * encrypting under the key from before it. Checked with real handshakes (openssl s_client reads the ticket).
 */
@Tag("external")
class SessionTicketsTest {
    @TempDir
    Path dir;

    private EventLoopGroup group;
    private ListenerConfig listener;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        listener = ConfigLoader.parse("""
                ferry {
                  listeners = [ { name = https, bind = "127.0.0.1", port = 0, tls { protocols = [ TLSv1.2 ], session-tickets.rotate = 1h } } ]
                  backends.app.servers = [ "127.0.0.1:1" ]
                  routes = [ { backend = app } ]
                }
                """, Path.of(".")).listeners().get(0);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aRotationUpdatesTheContextsLastAppliedTo() throws Exception {
        ServerTls before = contexts();
        ServerTls after = contexts(); // what a reload builds
        int beforePort = serve(before);
        int afterPort = serve(after);
        SessionTickets keys = new SessionTickets(listener.tls().tickets(), "https");
        keys.applyTo(before);
        String first = OpenSslClient.ticketKeyName(beforePort, dir);

        keys.applyTo(after);
        assertEquals(first, OpenSslClient.ticketKeyName(afterPort, dir), "the same keys go on in the new contexts");
        keys.rotate();
        assertNotEquals(first, OpenSslClient.ticketKeyName(afterPort, dir), "the rotation reached the new contexts");
        assertEquals(first, OpenSslClient.ticketKeyName(beforePort, dir), "the replaced contexts are left alone");
    }

    @Test
    void aDetachedListenerKeepsRotatingWithoutTouchingItsContexts() throws Exception {
        ServerTls tls = contexts();
        int port = serve(tls);
        SessionTickets keys = new SessionTickets(listener.tls().tickets(), "https");
        keys.applyTo(tls);
        String first = OpenSslClient.ticketKeyName(port, dir);
        keys.detach();
        keys.rotate();
        assertEquals(first, OpenSslClient.ticketKeyName(port, dir));
        keys.applyTo(tls); // the listener is back: the keys rotated meanwhile
        assertNotEquals(first, OpenSslClient.ticketKeyName(port, dir));
    }

    private ServerTls contexts() {
        return TlsContexts.forServer(listener.tls(), "https", List.of("http/1.1"));
    }

    /** A TLS listener that only handshakes, with {@code tls}'s contexts. */
    private int serve(ServerTls tls) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }
}
