package io.ferry.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.stream.ChunkedInput;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * The client side of one ESI include's exchange: it collects the fragment's response (status and body,
 * at most esi.max-size) for the page that includes it and tells the page when it is complete. It stands
 * in for the page's client — same loop, addresses and TLS — so rules and logs see the same client.
 */
final class EsiFragment extends InternalStream {
    private final EsiAssembly page;
    private final ClientStream client;
    private final long maxSize;
    /** The src fetched now: the include's, then its alt once the src failed. */
    final String src;
    final boolean isAlt;
    private CompositeByteBuf body;
    private int status;
    private boolean complete;
    private String failure;
    private Exchange exchange;

    EsiFragment(EsiAssembly page, ClientStream client, long maxSize, String src, boolean isAlt) {
        this.page = page;
        this.client = client;
        this.maxSize = maxSize;
        this.src = src;
        this.isAlt = isAlt;
    }

    void started(Exchange exchange) {
        this.exchange = exchange;
    }

    boolean complete() {
        return complete;
    }

    /** Why the include failed (an error status, a fetch that broke, too large), or null when it succeeded. */
    String failure() {
        if (failure == null && status != 200 && status != 204) {
            return "status " + status;
        }
        return failure;
    }

    /** The fragment's bytes (ownership passes to the caller); empty for a 204. */
    ByteBuf takeBody() {
        ByteBuf b = body == null ? io.netty.buffer.Unpooled.EMPTY_BUFFER : body;
        body = null;
        return b;
    }

    /** The include fails before any request is made (a limit, a src that is no URL). */
    void failNow(String why) {
        fail(why);
        complete = true;
    }

    /** The page no longer needs it: its exchange ends, what it collected is released. */
    void cancel() {
        complete = true;
        release();
        if (exchange != null) {
            exchange.abandon();
        }
    }

    private void release() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void append(ByteBuf part) {
        if (complete || failure != null) {
            part.release();
            return;
        }
        if (body == null) {
            body = client.alloc().compositeBuffer(64);
        }
        if (body.readableBytes() + (long) part.readableBytes() > maxSize) {
            part.release();
            fail("larger than esi.max-size");
            return;
        }
        body.addComponent(true, part);
    }

    private void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        release();
    }

    private void done() {
        if (!complete) {
            complete = true;
            page.fragmentDone(this);
        }
    }

    private void appendPart(Object part) {
        if (part instanceof HttpContent c) {
            append(c.content().retain());
            c.release();
        } else if (part instanceof ChunkedInput<?> input) { // a static file of a document root, read in chunks
            try {
                while (!input.isEndOfInput()) {
                    Object chunk = input.readChunk(client.alloc());
                    if (chunk == null) {
                        break;
                    }
                    appendPart(chunk);
                }
            } catch (Exception e) {
                fail("reading the file failed: " + e.getMessage());
            } finally {
                try {
                    input.close();
                } catch (Exception ignored) {
                    // the file was read or failed already
                }
            }
        } else {
            ReferenceCountUtil.release(part);
            fail("a body part the include cannot take: " + part.getClass().getSimpleName());
        }
    }

    @Override
    public EventLoop eventLoop() {
        return client.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return client.alloc();
    }

    @Override
    public InetSocketAddress localAddress() {
        return client.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return client.remoteAddress();
    }

    @Override
    public boolean tls() {
        return client.tls();
    }

    @Override
    public SSLSession tlsSession() {
        return client.tlsSession();
    }

    @Override
    public void sendHead(HttpResponse head, boolean mayDiscardRequestBody) {
        status = head.status().code();
        ReferenceCountUtil.release(head);
    }

    @Override
    public void sendBody(Object part) {
        appendPart(part);
    }

    @Override
    public void sendEnd(Object last) {
        appendPart(last);
        done();
    }

    @Override
    public void sendFull(FullHttpResponse response, boolean mustClose) {
        status = response.status().code();
        append(response.content().retain());
        response.release();
        done();
    }

    @Override
    public void abort() {
        fail("the fragment's response broke off");
        done();
    }

}
