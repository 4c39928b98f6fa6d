package io.ferry.exchange;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * What an {@link Exchange} sees of its client: where its response goes and how the client's protocol
 * frames it. A front end implements it per protocol (HTTP/1.1: keepalive, chunking, Connection
 * headers, discarding an unread body); the exchange never touches the client's pipeline. Every call
 * comes from the client's event loop, and none after the exchange has ended its response.
 */
public interface ClientStream {
    /** The event loop of the client, which upstream connections for the exchange share. */
    EventLoop eventLoop();

    ByteBufAllocator alloc();

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();

    boolean tls();

    /** The TLS session of the client's connection (its certificate, if it sent one), or null. */
    SSLSession tlsSession();

    /** The protocol the request came in: HTTP/1.1, HTTP/1.0, or {@link io.ferry.http.Versions#HTTP_2}. */
    HttpVersion version(HttpRequest request);

    /** Whether body parts may be {@link io.netty.channel.FileRegion}s (sendfile); else files come in chunks. */
    boolean takesFileRegions();

    /** Whether the client takes more now; an exchange reads its upstream only while it does. */
    boolean isWritable();

    /** The request is going to be read: answers {@code Expect: 100-continue} (once) if the client asked. */
    void continueRequest();

    /** Sends a 1xx interim response ahead of the final one (not to a client that cannot take it: HTTP/1.0). */
    void sendInterim(HttpResponse interim);

    /**
     * Writes the response head, framed for the client.
     *
     * @param mayDiscardRequestBody true when nobody reads the rest of the request body (a local answer):
     *                              the front end may drop it and keep the connection; false closes it
     *                              after the response if the body is not complete by then
     */
    void sendHead(HttpResponse head, boolean mayDiscardRequestBody);

    /** Writes a body part (HttpContent or FileRegion) without flushing. */
    void sendBody(Object part);

    /** Flushes what was written. */
    void flush();

    /** Writes the last part (LastHttpContent or a chunked input that ends with one): the response is complete. */
    void sendEnd(Object last);

    /** A whole response Ferry made itself; {@code mustClose} when what follows on the connection cannot be trusted. */
    void sendFull(FullHttpResponse response, boolean mustClose);

    /** Writes an upgrade's 101 as it is: the connection becomes a tunnel once it ends ({@link #becomeTunnel}). */
    void sendSwitchingProtocols(HttpResponse response);

    /**
     * The 101 has ended: from here the client's bytes are relayed as they are to {@code upstream}.
     * Returns the client's channel, the other end of the tunnel.
     */
    Channel becomeTunnel(Channel upstream, long idleTimeoutNanos);

    /** The response cannot be completed once begun: the only honest signal left is cutting the stream. */
    void abort();

    /** What the exchange can take of the client's input changed ({@link Exchange#wantsInput()}). */
    void inputDemandChanged();
}
