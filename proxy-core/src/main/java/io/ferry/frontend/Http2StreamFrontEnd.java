package io.ferry.frontend;

import io.ferry.exchange.ClientStream;
import io.ferry.exchange.Exchange;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.http.Versions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.stream.ChunkedInput;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 front end of one stream: one {@link Exchange}, its request from HEADERS, DATA and trailing
 * HEADERS, its response written back as frames through the connection's encoder. A plain object kept as
 * a property of Netty's stream, called on the connection's event loop. A malformed request is reset with
 * PROTOCOL_ERROR and never reaches the exchange; limits answer on the stream (413/414/431) like on
 * HTTP/1.1.
 *
 * <p>Flow control is the stream's own: DATA is handed to the exchange while it takes input and only then
 * acknowledged to the client; what arrives while it does not is held, unacknowledged, so the client's
 * window closes (request bodies follow the upstream's backpressure). The stream is writable while its
 * window, the connection's and the socket take more, and the exchange reads its upstream only while it
 * is, so a stream the client stops reading stops its upstream and nothing else. A stream that moves
 * nothing for timeouts.client is reset.
 */
final class Http2StreamFrontEnd implements ClientStream {
    private static final Logger log = LoggerFactory.getLogger(Http2StreamFrontEnd.class);

    /** DATA the exchange could not take yet, with the bytes to acknowledge once it has. */
    private record Held(HttpContent content, int flowControlled) {
    }

    private final Http2ConnectionFrontEnd connection;
    private final ProxySettings settings;
    private final Http2Stream stream;
    private final ClientActivity activity = new ClientActivity();
    // timeouts.client, checked by the connection's one sweep (no task per stream)
    private long timeoutNanos;
    private Exchange exchange;
    private boolean requestDone;
    private boolean expectContinue;
    /** The response has ended (or the stream was given up): the rest of the request is dropped. */
    private boolean over;
    private ArrayDeque<Held> held;
    private boolean handingOn;
    /**
     * The response head, held until a body part, a flush or the end: a response that ends with its head
     * (gRPC's trailers-only answer, a 204) goes out as one HEADERS frame with END_STREAM.
     */
    private HttpResponse pendingHead;
    /** A static file's body, written in DATA frames as the stream's window allows. */
    private ChunkedInput<HttpContent> file;
    private long bodyBytes;
    private long maxBodyBytes;

    Http2StreamFrontEnd(Http2ConnectionFrontEnd connection, Http2Stream stream) {
        this.connection = connection;
        this.settings = connection.settings;
        this.stream = stream;
    }

    private ChannelHandlerContext ctx() {
        return connection.ctx();
    }

    void touch(long now) {
        activity.touch(now);
    }

    // ---------------------------------------------------------------- the request

    void onRequestHead(Http2Headers headers, boolean endOfStream) {
        touch(System.nanoTime());
        ProxyRuntime runtime = settings.runtime().get();
        HttpRequest req;
        try {
            req = Http2RequestHead.toHttp1(headers, endOfStream, runtime.config.limits().maxRequestLine());
        } catch (Http2RequestHead.Malformed e) {
            refuse("malformed request: " + e.getMessage());
            return;
        }
        requestDone = endOfStream;
        expectContinue = HttpUtil.is100ContinueExpected(req);
        maxBodyBytes = runtime.config.limits().maxBodySize();
        timeoutNanos = runtime.config.timeouts().client().toNanos();
        exchange = new Exchange(this, settings, runtime, connection.clientIp());
        try {
            exchange.start(req);
            if (requestDone && exchange != null) {
                exchange.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    void onTrailers(Http2Headers headers, boolean endOfStream) {
        touch(System.nanoTime());
        if (over) {
            return;
        }
        if (!endOfStream) {
            refuse("HEADERS after the request head without END_STREAM");
            return;
        }
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        try {
            for (Map.Entry<CharSequence, CharSequence> field : headers) {
                Http2RequestHead.checkName(field.getKey()); // a pseudo-header fails here too
                Http2RequestHead.checkValue(field.getKey(), field.getValue());
                last.trailingHeaders().add(field.getKey(), field.getValue());
            }
        } catch (Http2RequestHead.Malformed e) {
            refuse("malformed trailers: " + e.getMessage());
            return;
        }
        requestDone = true;
        if (held != null && !held.isEmpty()) {
            held.add(new Held(last, 0));
        } else {
            handOn(last);
        }
    }

    /** @return the bytes to acknowledge now; the rest is acknowledged when the exchange takes them */
    int onData(ByteBuf data, int padding, boolean endOfStream) {
        touch(System.nanoTime());
        int length = data.readableBytes();
        if (over) {
            return length + padding;
        }
        if (endOfStream) {
            requestDone = true;
        }
        bodyBytes += length;
        if (bodyBytes > maxBodyBytes) {
            if (exchange != null) {
                exchange.rejectRequestBody(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "request body over limits.max-body-size");
            }
            return length + padding;
        }
        data.retain(); // the decoder releases its frame when this returns
        HttpContent content = endOfStream ? new DefaultLastHttpContent(data) : new DefaultHttpContent(data);
        if ((held == null || held.isEmpty()) && (exchange == null || exchange.wantsInput())) {
            handOn(content);
            return length + padding;
        }
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(new Held(content, length));
        return padding;
    }

    private void handOn(HttpContent content) {
        Exchange ex = exchange;
        if (ex == null) {
            content.release(); // answered already
            return;
        }
        try {
            ex.onRequestContent(content);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** Hands held DATA on while the exchange takes it, acknowledging it to the client as it goes. */
    private void handOnHeld() {
        if (held == null || handingOn) {
            return;
        }
        handingOn = true;
        try {
            while (!held.isEmpty() && (over || exchange == null || exchange.wantsInput())) {
                Held h = held.poll();
                if (over) {
                    h.content.release();
                } else {
                    handOn(h.content);
                }
                connection.consumed(stream, h.flowControlled);
            }
        } finally {
            handingOn = false;
        }
    }

    private void dropHeld() {
        if (held != null) {
            for (Held h; (h = held.poll()) != null; ) {
                h.content.release();
            }
        }
    }

    void readComplete() {
        if (exchange != null) {
            exchange.flushUpstream();
        }
    }

    /** RFC 9113 §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR. */
    private void refuse(String reason) {
        log.debug("{} stream {}: {}; RST_STREAM PROTOCOL_ERROR", ctx().channel(), stream.id(), reason);
        settings.metrics().http2Protection(settings.listener(), "malformed");
        Exchange ex = exchange;
        exchange = null;
        over = true;
        if (ex != null) {
            ex.abandon();
        }
        dropHeld();
        connection.reset(stream, Http2Error.PROTOCOL_ERROR);
    }

    private void failed(RuntimeException e) {
        log.warn("{} stream {}: exchange failed; stream reset", ctx().channel(), stream.id(), e);
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.abandon();
        }
        abort();
    }

    // ---------------------------------------------------------------- the stream's end

    /** The stream closed: ended normally, reset by either side, or the connection went. */
    void closed() {
        over = true;
        dropHeld();
        closeFile();
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.clientClosed(); // a reset stream stops costing the backend: its queue place or request goes
        }
    }

    /** A stream error the codec found: Netty resets the stream once this returns. */
    void streamError(Http2Exception cause) {
        log.debug("{} stream {}: stream error: {}", ctx().channel(), stream.id(), cause.toString());
        over = true;
        dropHeld();
        closeFile();
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.abandon();
        }
    }

    void writabilityChanged() {
        if (file != null) {
            writeFile();
        }
        if (exchange != null) {
            exchange.clientWritabilityChanged();
        }
    }

    // ---------------------------------------------------------------- what the exchange sees

    @Override
    public EventLoop eventLoop() {
        return ctx().channel().eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx().alloc();
    }

    private Channel channel() {
        return ctx().channel();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel().localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return FrontEnds.clientAddress(channel());
    }

    @Override
    public boolean tls() {
        return settings.tls();
    }

    @Override
    public SSLSession tlsSession() {
        return FrontEnds.tlsSession(channel());
    }

    @Override
    public HttpVersion version(HttpRequest request) {
        return Versions.HTTP_2;
    }

    @Override
    public boolean takesFileRegions() {
        return false; // a stream carries DATA frames, not a file's bytes
    }

    /**
     * While the stream's window (and the connection's, and the socket) takes more — or nothing is queued
     * for it: a response head needs no window, and a closed window must not keep the exchange from
     * reading it (the client's WINDOW_UPDATE, or the socket draining, wakes the exchange again).
     */
    @Override
    public boolean isWritable() {
        return connection.isWritable(stream) || !connection.hasPending(stream) && channel().isWritable();
    }

    @Override
    public void continueRequest() {
        if (expectContinue) {
            expectContinue = false;
            writeHeaders(Http2ResponseHeaders.status(HttpResponseStatus.CONTINUE), false, ctx().voidPromise());
            connection.flushSoon();
        }
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        writeHeaders(Http2ResponseHeaders.head(interim), false, ctx().voidPromise());
        connection.flushSoon();
    }

    @Override
    public void sendHead(HttpResponse head, boolean mayDiscardRequestBody) {
        expectContinue = false; // answered instead
        pendingHead = head;
    }

    private void writePendingHead() {
        if (pendingHead != null) {
            writeHeaders(Http2ResponseHeaders.head(pendingHead), false, ctx().voidPromise());
            pendingHead = null;
        }
    }

    @Override
    public void sendBody(Object part) {
        writePendingHead();
        if (part instanceof HttpContent content && content.content().isReadable()) {
            writeData(content.content(), false, ctx().voidPromise());
        } else {
            ReferenceCountUtil.release(part); // an empty part: nothing to frame
        }
    }

    @Override
    public void flush() {
        writePendingHead();
        connection.flushSoon();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void sendEnd(Object last) {
        responseOver();
        if (pendingHead != null && last instanceof LastHttpContent l && !l.content().isReadable()
                && l.trailingHeaders().isEmpty()) {
            l.release();
            writeHeaders(Http2ResponseHeaders.head(pendingHead), true, endPromise());
            pendingHead = null;
        } else {
            writePendingHead();
            if (last instanceof ChunkedInput<?> input) {
                file = (ChunkedInput<HttpContent>) input; // a static file, in DATA frames
                writeFile();
                return;
            }
            writeLast((LastHttpContent) last);
        }
        connection.flushSoon();
    }

    @Override
    public void sendFull(FullHttpResponse response, boolean mustClose) {
        responseOver();
        boolean bodyFollows = response.content().isReadable() || !response.trailingHeaders().isEmpty();
        if (!bodyFollows) {
            response.release();
            writeHeaders(Http2ResponseHeaders.head(response), true, endPromise());
        } else {
            writeHeaders(Http2ResponseHeaders.head(response), false, ctx().voidPromise());
            writeLast(response);
        }
        connection.flushSoon();
    }

    /** The last DATA (or trailers) of the response; takes the content's buffer. */
    private void writeLast(LastHttpContent last) {
        if (last.trailingHeaders().isEmpty()) {
            writeData(last.content(), true, endPromise());
            return;
        }
        if (last.content().isReadable()) {
            writeData(last.content(), false, ctx().voidPromise());
        } else {
            last.release();
        }
        writeHeaders(Http2ResponseHeaders.trailers(last.trailingHeaders()), true, endPromise());
    }

    /**
     * Where the response's last frame reports. A request body still arriving is then not wanted:
     * RST_STREAM NO_ERROR asks the client to stop sending it (RFC 9113 §8.1).
     */
    private ChannelPromise endPromise() {
        if (requestDone) {
            return ctx().voidPromise();
        }
        ChannelPromise p = ctx().newPromise();
        p.addListener(f -> {
            if (!requestDone && stream.state() != Http2Stream.State.CLOSED && channel().isActive()) {
                connection.reset(stream, Http2Error.NO_ERROR);
            }
        });
        return p;
    }

    private void writeHeaders(Http2Headers headers, boolean endStream, ChannelPromise promise) {
        if (promise.isVoid() && connection.writeHeaders(stream, headers, endStream)) {
            return; // nothing waits on this frame's write: it goes straight into the connection's batch
        }
        connection.encoder().writeHeaders(ctx(), stream.id(), headers, 0, endStream, promise);
    }

    private void writeData(ByteBuf data, boolean endStream, ChannelPromise promise) {
        if (endStream && promise.isVoid() && connection.writeSmallLastData(stream, data)) {
            return; // nothing waits on this frame's write: it goes straight into the connection's batch
        }
        connection.encoder().writeData(ctx(), stream.id(), data, 0, endStream, promise);
    }

    /**
     * A file's chunks while the stream takes them. Each goes past the flow controller into the socket's
     * buffer at once, so a client with a huge window still meets the socket's backpressure.
     */
    private void writeFile() {
        try {
            while (file != null && isWritable()) {
                HttpContent chunk = file.readChunk(alloc());
                if (chunk == null) {
                    break; // a file never says "not yet"; other inputs resume on writability
                }
                if (chunk instanceof LastHttpContent last) {
                    closeFile();
                    writeLast(last);
                } else {
                    writeData(chunk.content(), false, ctx().voidPromise());
                    connection.writePending();
                }
            }
        } catch (Exception e) {
            log.warn("{} stream {}: reading the file failed; stream reset", channel(), stream.id(), e);
            closeFile();
            abort();
            return;
        }
        connection.flushSoon();
    }

    private void closeFile() {
        ChunkedInput<HttpContent> f = file;
        file = null;
        if (f != null) {
            try {
                f.close();
            } catch (Exception e) {
                log.debug("closing a file: {}", e.toString());
            }
        }
    }

    private void responseOver() {
        exchange = null;
        over = true;
        handOnHeld(); // drops and acknowledges what the client sent meanwhile
    }

    @Override
    public void sendSwitchingProtocols(HttpResponse response) {
        abort(); // no Upgrade on HTTP/2 (RFC 9113 §8.6): the request head cannot carry one
    }

    @Override
    public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
        throw new IllegalStateException("HTTP/2 streams are never tunnelled");
    }

    /** RST_STREAM CANCEL; the connection and its other streams go on. */
    @Override
    public void abort() {
        exchange = null;
        over = true;
        dropHeld();
        closeFile();
        if (stream.state() != Http2Stream.State.CLOSED) {
            connection.reset(stream, Http2Error.CANCEL);
        }
    }

    @Override
    public void inputDemandChanged() {
        handOnHeld();
    }

    // ---------------------------------------------------------------- timeouts.client

    /**
     * The connection's sweep: a request or response under way that moved nothing for timeouts.client.
     * Frames from the client count (window updates included, the connection's too); a client waiting for
     * a slow server is timeouts.server's business. A client that stops reading (its window stays closed)
     * has its stream reset, also when the whole response is already queued for it; one that stops sending
     * its body gets 408.
     */
    void checkTimeout(long now) {
        Exchange ex = exchange;
        if (timeoutNanos == 0 || stream.state() == Http2Stream.State.CLOSED) {
            return;
        }
        boolean pendingOut = connection.hasPending(stream) || !channel().isWritable();
        if (ex == null && !(over && pendingOut)) {
            return; // nothing under way, or a response handed over whole that the client is taking
        }
        activity.touchIfLater(connection.lastConnectionWindowUpdate());
        boolean responding = ex == null || ex.responseStarted();
        if (activity.remaining(now, timeoutNanos, responding, pendingOut ? 1 : 0) > 0) {
            return;
        }
        if (responding) {
            settings.metrics().http2Protection(settings.listener(), "idle_stream");
        }
        if (ex != null) {
            ex.clientInactive();
        } else {
            log.debug("{} stream {}: the client took nothing of the response for timeouts.client; reset",
                    channel(), stream.id());
            abort();
        }
    }
}
