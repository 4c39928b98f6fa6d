package io.ferry.exchange;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * The client side of an exchange Ferry makes for itself — the background refresh of an object served in
 * grace (Pingora's subrequest): no connection, nobody reading. The cache's response phase keeps what it
 * stores; everything written here is released. It always takes more, so the upstream is read at full
 * speed; it never asks for 100-continue nor becomes a tunnel.
 */
final class SubrequestStream implements ClientStream {
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
    public HttpVersion version(HttpRequest request) {
        return HttpVersion.HTTP_1_1;
    }

    @Override
    public boolean takesFileRegions() {
        return false;
    }

    @Override
    public boolean isWritable() {
        return true;
    }

    @Override
    public void continueRequest() {
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        ReferenceCountUtil.release(interim);
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
    public void flush() {
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
    public void sendSwitchingProtocols(HttpResponse response) {
        ReferenceCountUtil.release(response); // never asked for: the refresh carries no Upgrade
    }

    @Override
    public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
        throw new IllegalStateException("a subrequest never becomes a tunnel");
    }

    @Override
    public void abort() {
    }

    @Override
    public void inputDemandChanged() {
    }
}
