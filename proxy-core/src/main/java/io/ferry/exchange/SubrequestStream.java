package io.ferry.exchange;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * The client side of an exchange Ferry makes for itself — the background refresh of an object served in
 * grace (Pingora's subrequest): no connection, nobody reading. The cache's response phase keeps what it
 * stores; everything written here is released. It always takes more, so the upstream is read at full
 * speed; it never asks for 100-continue nor becomes a tunnel.
 */
final class SubrequestStream extends InternalStream {
    private final EventLoop loop;
    private final InetSocketAddress local;

    /** @param on the client stream of the exchange that started it: its loop and local address */
    SubrequestStream(ClientStream on) {
        this.loop = on.eventLoop();
        this.local = on.localAddress();
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** Nobody: Ferry's own request (a PROXY header to the server names no client). */
    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    public boolean tls() {
        return false;
    }

    @Override
    public SSLSession tlsSession() {
        return null;
    }

    @Override
    public void sendHead(HttpResponse head, boolean mayDiscardRequestBody) {
        ReferenceCountUtil.release(head);
    }

    @Override
    public void sendBody(Object part) {
        ReferenceCountUtil.release(part);
    }

    @Override
    public void sendEnd(Object last) {
        ReferenceCountUtil.release(last);
    }

    @Override
    public void sendFull(FullHttpResponse response, boolean mustClose) {
        ReferenceCountUtil.release(response);
    }

    @Override
    public void abort() {
    }

}
