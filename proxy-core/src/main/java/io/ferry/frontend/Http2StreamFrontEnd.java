package io.ferry.frontend;

import io.ferry.exchange.Exchange;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.http.Versions;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 front end of one stream: one {@link Exchange}, its request from HEADERS, DATA and trailing
 * HEADERS, its response written back as frames (through {@link Http2ResponseEncoder}). A malformed
 * request is reset with PROTOCOL_ERROR and never reaches the exchange; limits answer on the stream
 * (413/414/431) like on HTTP/1.1.
 *
 * <p>Flow control is the stream's own: the stream is read only while the exchange takes input, and
 * frames left unread are not acknowledged, so the client's window closes (request bodies follow the
 * upstream's backpressure); the stream's writability follows the client's window for it, and the
 * exchange reads its upstream only while it is writable, so a stream the client stops reading stops its
 * upstream and nothing else. A stream that moves nothing for timeouts.client is reset.
 */
final class Http2StreamFrontEnd extends ClientFrontEnd {
    private static final Logger log = LoggerFactory.getLogger(Http2StreamFrontEnd.class);

    private final Http2ConnectionFrontEnd connection;
    private final String clientIp;
    // timeouts.client, checked by the connection's one sweep (no task per stream)
    private long timeoutNanos;
    private final ClientActivity activity = new ClientActivity();
    private Exchange exchange;
    private boolean headSeen;
    private boolean requestDone;
    private boolean expectContinue;
    /** The response has ended (or the stream was given up): the rest of the request is dropped. */
    private boolean over;
    private boolean reading = true;
    /**
     * The response head, held until a body part, a flush or the end: a response that ends with its head
     * (gRPC's trailers-only answer, a 204) goes out as one HEADERS frame with END_STREAM.
     */
    private HttpResponse pendingHead;
    private long bodyBytes;
    private long maxBodyBytes;

    Http2StreamFrontEnd(ProxySettings settings, Http2ConnectionFrontEnd connection, String clientIp) {
        super(settings);
        this.connection = connection;
        this.clientIp = clientIp;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        connection.streamOpened(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        activity.touch(System.nanoTime());
        if (over) {
            ReferenceCountUtil.release(msg);
        } else if (msg instanceof Http2HeadersFrame headers) {
            if (!headSeen) {
                onRequestHead(headers);
            } else {
                onTrailers(headers);
            }
        } else if (msg instanceof Http2DataFrame data) {
            onData(data);
        } else {
            ReferenceCountUtil.release(msg);
        }
        updateRead();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.flushUpstream();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.clientWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The stream closed: ended normally, reset by the client, or the connection went. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        over = true;
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.clientClosed(); // a reset stream stops costing the backend: its queue place or request goes
        }
        connection.streamClosed(this);
        ctx.fireChannelInactive();
    }

    /**
     * A stream error the codec found (content-length against DATA, a malformed field it checks itself):
     * the multiplexer resets the stream with the right code once this returns. Anything else cuts it.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: stream error: {}", ctx.channel(), cause.toString());
        over = true;
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.abandon();
        }
        if (!(cause instanceof Http2Exception)) {
            abort();
        }
    }

    private void onRequestHead(Http2HeadersFrame frame) {
        headSeen = true;
        ProxyRuntime runtime = settings.runtime().get();
        HttpRequest req;
        try {
            req = Http2RequestHead.toHttp1(frame.headers(), frame.isEndStream(),
                    runtime.config.limits().maxRequestLine());
        } catch (Http2RequestHead.Malformed e) {
            refuse("malformed request: " + e.getMessage());
            return;
        }
        requestDone = frame.isEndStream();
        expectContinue = HttpUtil.is100ContinueExpected(req);
        maxBodyBytes = runtime.config.limits().maxBodySize();
        timeoutNanos = runtime.config.timeouts().client().toNanos();
        exchange = new Exchange(this, settings, runtime, clientIp);
        exchange.start(req);
        if (requestDone && exchange != null) {
            exchange.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private void onTrailers(Http2HeadersFrame frame) {
        if (!frame.isEndStream()) {
            refuse("HEADERS after the request head without END_STREAM");
            return;
        }
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        try {
            for (Map.Entry<CharSequence, CharSequence> field : frame.headers()) {
                Http2RequestHead.checkName(field.getKey()); // a pseudo-header fails here too
                Http2RequestHead.checkValue(field.getKey(), field.getValue());
                last.trailingHeaders().add(field.getKey(), field.getValue());
            }
        } catch (Http2RequestHead.Malformed e) {
            refuse("malformed trailers: " + e.getMessage());
            return;
        }
        requestDone = true;
        handOn(last);
    }

    private void onData(Http2DataFrame data) {
        boolean last = data.isEndStream();
        if (last) {
            requestDone = true;
        }
        bodyBytes += data.content().readableBytes();
        if (bodyBytes > maxBodyBytes) {
            data.release();
            if (exchange != null) {
                exchange.rejectRequestBody(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "request body over limits.max-body-size");
            }
            return;
        }
        handOn(last ? new DefaultLastHttpContent(data.content()) : new DefaultHttpContent(data.content()));
    }

    private void handOn(HttpContent content) {
        if (exchange != null) {
            exchange.onRequestContent(content);
        } else {
            content.release(); // answered already
        }
    }

    /** RFC 9113 §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR. */
    private void refuse(String reason) {
        log.debug("{}: {}; RST_STREAM PROTOCOL_ERROR", ctx.channel(), reason);
        settings.metrics().http2Protection(settings.listener(), "malformed");
        over = true;
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR)).addListener(ChannelFutureListener.CLOSE);
    }

    /** The stream is read while the exchange takes input; once answered, the rest is read and dropped. */
    private void updateRead() {
        boolean read = exchange == null || exchange.wantsInput();
        if (read != reading) {
            reading = read;
            ctx.channel().config().setAutoRead(read);
        }
    }

    // ---------------------------------------------------------------- what the exchange sees

    @Override
    Channel clientChannel() {
        return ((Http2StreamChannel) ctx.channel()).parent();
    }

    @Override
    public HttpVersion version(HttpRequest request) {
        return Versions.HTTP_2;
    }

    @Override
    public boolean takesFileRegions() {
        return false; // a stream carries DATA frames, not a file's bytes
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void continueRequest() {
        if (expectContinue) {
            expectContinue = false;
            sendInterim(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, interim.status(), Unpooled.EMPTY_BUFFER,
                interim.headers(), EmptyHttpHeaders.INSTANCE), ctx.voidPromise());
    }

    @Override
    public void sendHead(HttpResponse head, boolean mayDiscardRequestBody) {
        expectContinue = false; // answered instead
        pendingHead = head;
    }

    private void writePendingHead() {
        if (pendingHead != null) {
            ctx.write(pendingHead, ctx.voidPromise());
            pendingHead = null;
        }
    }

    @Override
    public void sendBody(Object part) {
        writePendingHead();
        ctx.write(part, ctx.voidPromise());
    }

    @Override
    public void flush() {
        writePendingHead();
        ctx.flush();
    }

    @Override
    public void sendEnd(Object last) {
        responseOver();
        Object end = last;
        if (pendingHead != null && last instanceof LastHttpContent l && !l.content().isReadable()
                && l.trailingHeaders().isEmpty()) {
            end = new DefaultFullHttpResponse(pendingHead.protocolVersion(), pendingHead.status(),
                    Unpooled.EMPTY_BUFFER, pendingHead.headers(), EmptyHttpHeaders.INSTANCE);
            pendingHead = null;
            l.release();
        }
        writePendingHead();
        if (end instanceof ChunkedInput<?> && ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
            ctx.pipeline().addBefore(ctx.name(), "chunked", new ChunkedWriteHandler()); // a static file, in DATA frames
        }
        writeLast(end);
    }

    /** The end of the response; a request body still arriving is then refused (see {@link #endStream}). */
    private void writeLast(Object last) {
        if (requestDone) {
            ctx.writeAndFlush(last, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(last).addListener(f -> endStream());
        }
    }

    @Override
    public void sendFull(FullHttpResponse response, boolean mustClose) {
        responseOver();
        writeLast(response);
    }

    private void responseOver() {
        exchange = null;
        over = true;
        updateRead();
    }

    /**
     * The response is out. A request body still arriving is not wanted: RST_STREAM NO_ERROR asks the
     * client to stop sending it (RFC 9113 §8.1).
     */
    private void endStream() {
        if (!requestDone && ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR), ctx.voidPromise());
        }
    }

    @Override
    public void sendSwitchingProtocols(HttpResponse response) {
        abort(); // no Upgrade on HTTP/2 (RFC 9113 §8.6): the request head cannot carry one
    }

    @Override
    public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
        throw new IllegalStateException("HTTP/2 streams are never tunnelled");
    }

    /** Closing an open stream sends RST_STREAM CANCEL; the connection and its other streams go on. */
    @Override
    public void abort() {
        exchange = null;
        over = true;
        ctx.flush();
        ctx.close();
    }

    @Override
    public void inputDemandChanged() {
        updateRead();
    }

    // ---------------------------------------------------------------- timeouts.client

    /**
     * The connection's sweep: a request or response under way that moved nothing for timeouts.client.
     * Reads count, and so does progress on what the client has to take; a client waiting for a slow
     * server is timeouts.server's business. A client that stops reading (its window stays closed) has
     * its stream reset; one that stops sending its body gets 408.
     */
    void checkTimeout(long now) {
        Exchange ex = exchange;
        if (ex == null || timeoutNanos == 0) {
            return;
        }
        long pending = ctx.channel().bytesBeforeWritable(); // 0 while the client's window is open
        if (activity.remaining(now, timeoutNanos, ex.responseStarted(), pending) > 0) {
            return;
        }
        if (ex.responseStarted()) {
            settings.metrics().http2Protection(settings.listener(), "idle_stream");
        }
        ex.clientInactive();
    }
}
