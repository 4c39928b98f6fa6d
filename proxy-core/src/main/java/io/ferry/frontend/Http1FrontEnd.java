package io.ferry.frontend;

import io.ferry.exchange.Exchange;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.exchange.ProxySettings;
import io.ferry.tunnel.TunnelHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 front end: turns a client connection into a sequence of {@link Exchange}s, one at a
 * time. Its job is the connection: pipelined requests wait in order, keepalive and Connection headers,
 * chunked framing of responses without a length, Expect: 100-continue, dropping the unread rest of a
 * body after a local answer, the request-head and client timeouts, draining at shutdown, a client that
 * half-closes after its request (answered, then closed, as HAProxy does; dropped if still queued), and
 * client flow control.
 * It knows nothing of caches, backends or FastCGI.
 *
 * <p>Flow control is by autoRead: the client is read unless what was read cannot be handed on yet (a
 * pipelined request waiting its turn, or whatever the exchange cannot take now, see
 * {@link Exchange#wantsInput}). An ordinary exchange changes nothing, so costs no epoll_ctl.
 */
public final class Http1FrontEnd extends ClientFrontEnd implements ConnectionTimer.Owner {
    private static final Logger log = LoggerFactory.getLogger(Http1FrontEnd.class);

    private enum State {
        /** Waiting for a request head. */
        IDLE,
        /** An exchange is in progress. */
        EXCHANGE,
        /** Answered before the request body ended: reading and dropping the rest. */
        DISCARDING,
        /** Answered while the request body was still arriving: output shut, input dropped until EOF or timeout. */
        LINGERING,
        /** The connection closes once the last write is flushed (or became a tunnel); input is dropped. */
        CLOSING
    }

    /** The wait begun before the protocol was known, until the timer takes it over; or null. */
    private RequestHeadTimeout headTimeout;
    private ConnectionTimer timer;
    /**
     * Decoded inbound messages not yet handed on (the rest of a pipelined batch), oldest first: the first
     * in a field, the others in a deque made only for a client that sends ahead, so an idle connection
     * keeps no collection.
     */
    private Object heldFirst;
    private ArrayDeque<Object> heldRest;
    private String clientIp;
    private State state = State.IDLE;
    private Exchange exchange;
    /** Shutting down, or the client has half-closed: close after the response in flight. */
    private boolean draining;
    /** What this handler last set autoRead to (a channel starts reading). */
    private boolean clientReading = true;
    /** Between channelRead and channelReadComplete: writes upstream are flushed once, at the end. */
    private boolean inClientRead;
    // The current request as HTTP/1.1 framing sees it.
    private boolean keepAlive;
    private boolean http10;
    private boolean headRequest;
    private boolean expectContinue;
    private boolean requestDone;
    private boolean closeAfterResponse;
    private long bodyBytes;
    private long maxBodyBytes;

    public Http1FrontEnd(ProxySettings settings, RequestHeadTimeout headTimeout) {
        super(settings);
        this.headTimeout = headTimeout;
    }

    // ---------------------------------------------------------------- client events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer = new ConnectionTimer(ctx, this, settings.runtime().get().config.timeouts());
        if (ctx.channel().isActive()) {
            activate(); // added after TLS and protocol selection
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        activate();
        ctx.fireChannelActive();
    }

    private void activate() {
        if (clientIp == null) {
            clientIp = FrontEnds.clientIp(ctx.channel());
            if (headTimeout != null) {
                headTimeout.handOver(timer);
                headTimeout = null;
            } else {
                timer.awaitRequest();
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSING || state == State.LINGERING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inClientRead = true;
        timer.touch();
        hold(msg);
        dispatchInbound();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inClientRead = false;
        timer.bytesRead(); // the first bytes of a head that is not complete yet start its deadline
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

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.clientClosed();
        }
        timer.stop();
        releaseInbound();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        state = State.CLOSING;
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.abandon();
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            onInputShutdown();
        } else if (evt instanceof Drain d) {
            drain(d.closesIdle());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The response in flight, or the next one, is the last; an idle connection closes now if {@code closeIdle}. */
    private void drain(boolean closeIdle) {
        draining = true;
        if (closeIdle && state == State.IDLE && heldFirst == null) {
            state = State.CLOSING;
            ctx.close();
        }
    }

    /** The client sent FIN: it may be half-closing after its request, or it left. */
    private void onInputShutdown() {
        if (state == State.LINGERING || state == State.DISCARDING) {
            ctx.close(); // the client has sent all it will: nothing left to drop
        } else if (exchange != null && exchange.clientHalfClosed()) {
            exchange = null; // a client that left while its request waited: it never takes a slot
            state = State.CLOSING;
            releaseInbound();
            ctx.close();
        } else {
            drain(true); // answered like HAProxy: the response in flight is the last
        }
    }

    /** Hands queued messages on while the state allows: a head when idle, body parts of the current request. */
    private void dispatchInbound() {
        while (heldFirst != null) {
            if (state == State.IDLE) {
                Object msg = nextHeld();
                if (msg instanceof HttpRequest req) {
                    onRequestHead(req);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            } else if ((state == State.EXCHANGE || state == State.DISCARDING) && !requestDone) {
                Object msg = nextHeld();
                if (msg instanceof HttpContent content) {
                    onRequestContent(content);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            } else {
                break;
            }
        }
        if (!inClientRead && exchange != null) {
            exchange.flushUpstream(); // messages held from an earlier read, handed on from an upstream event
        }
        updateClientRead();
    }

    private void onRequestHead(HttpRequest req) {
        ProxyRuntime runtime = settings.runtime().get();
        timer.exchangeStarted();
        keepAlive = HttpUtil.isKeepAlive(req);
        http10 = req.protocolVersion().minorVersion() == 0;
        headRequest = req.method() == HttpMethod.HEAD;
        expectContinue = HttpUtil.is100ContinueExpected(req);
        requestDone = false;
        closeAfterResponse = false;
        bodyBytes = 0;
        maxBodyBytes = runtime.config.limits().maxBodySize();
        state = State.EXCHANGE;
        exchange = new Exchange(this, settings, runtime, clientIp);
        exchange.start(req);
    }

    private void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestDone = true;
        }
        if (content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(content);
            keepAlive = false; // the decoder cannot find the next request after a framing error
            refuseBody(HttpResponseStatus.BAD_REQUEST, "malformed request body: " + content.decoderResult().cause());
            return;
        }
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > maxBodyBytes) {
            ReferenceCountUtil.release(content);
            keepAlive = false;
            refuseBody(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over limits.max-body-size");
            return;
        }
        if (state == State.DISCARDING) {
            content.release();
            if (last) {
                exchangeDone();
            }
            return;
        }
        exchange.onRequestContent(content);
    }

    /** The body broke framing or limits: the exchange answers it, or after an answer the connection closes. */
    private void refuseBody(HttpResponseStatus status, String reason) {
        if (exchange != null) {
            exchange.rejectRequestBody(status, reason);
        } else {
            log.debug("{}: {} while dropping a request body; closing", ctx.channel(), reason);
            abort();
        }
    }

    /** The exchange and the request are over: the next pipelined request, or wait for one. */
    private void exchangeDone() {
        state = State.IDLE;
        dispatchInbound();
        if (state == State.IDLE) {
            if (draining) {
                state = State.CLOSING;
                ctx.close();
                return;
            }
            timer.awaitRequest();
        }
    }

    private void hold(Object msg) {
        if (heldFirst == null) {
            heldFirst = msg;
        } else {
            if (heldRest == null) {
                heldRest = new ArrayDeque<>(4);
            }
            heldRest.add(msg);
        }
    }

    private Object nextHeld() {
        Object msg = heldFirst;
        heldFirst = heldRest == null ? null : heldRest.poll();
        return msg;
    }

    private void releaseInbound() {
        Object msg;
        while ((msg = nextHeld()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The client is read unless what was read cannot be handed on yet. Each change costs an epoll_ctl,
     * so an ordinary exchange changes nothing; memory stays bounded by one read's worth of queued input.
     * Reading on also notices a client that leaves.
     */
    private void updateClientRead() {
        boolean read = (heldFirst == null || state == State.LINGERING) && switch (state) {
            case IDLE, DISCARDING, LINGERING -> true;
            case EXCHANGE -> exchange.wantsInput();
            case CLOSING -> false;
        };
        if (read != clientReading) {
            clientReading = read;
            ctx.channel().config().setAutoRead(read);
        }
    }

    // ---------------------------------------------------------------- what the exchange sees

    @Override
    Channel clientChannel() {
        return ctx.channel();
    }

    @Override
    public HttpVersion version(HttpRequest request) {
        return request.protocolVersion();
    }

    @Override
    public boolean takesFileRegions() {
        return !settings.tls(); // TLS encrypts in user space: files go through it in chunks
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void continueRequest() {
        if (expectContinue) {
            expectContinue = false; // once
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
    }

    @Override
    public void sendInterim(HttpResponse interim) {
        if (http10) {
            return; // RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client
        }
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, interim.status(), Unpooled.EMPTY_BUFFER,
                interim.headers(), EmptyHttpHeaders.INSTANCE), ctx.voidPromise());
    }

    @Override
    public void sendHead(HttpResponse head, boolean mayDiscardRequestBody) {
        HttpHeaders h = head.headers();
        int code = head.status().code();
        boolean close = !keepAlive || draining || !requestDone && !mayDiscardRequestBody;
        boolean bodyless = headRequest || code == 204 || code == 304;
        if (!bodyless && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (http10) {
                close = true; // an HTTP/1.0 client reads to the close
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        closeAfterResponse = close;
        setConnection(h, close);
        head.setProtocolVersion(HttpVersion.HTTP_1_1);
        ctx.write(head, ctx.voidPromise());
    }

    private void setConnection(HttpHeaders h, boolean close) {
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    @Override
    public void sendBody(Object part) {
        ctx.write(part, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void sendEnd(Object last) {
        exchange = null;
        if (closeAfterResponse) {
            closeAfter(last);
            return;
        }
        if (last instanceof LastHttpContent) {
            ctx.writeAndFlush(last, ctx.voidPromise());
        } else {
            chunkedWriter();
            ctx.writeAndFlush(last); // a chunked file: its writer wants a real promise
        }
        requestOver();
    }

    /**
     * A file in chunks on a plain connection (one compressed as it is read): the chunked writer joins the
     * pipeline the first time one is sent (TLS connections have it from the start), not on every connection.
     */
    private void chunkedWriter() {
        if (ctx.pipeline().get(io.netty.handler.stream.ChunkedWriteHandler.class) == null) {
            ctx.pipeline().addBefore(ctx.name(), "chunked", new io.netty.handler.stream.ChunkedWriteHandler());
        }
    }

    @Override
    public void sendFull(FullHttpResponse response, boolean mustClose) {
        exchange = null;
        // With Expect: 100-continue and no body yet, the client may or may not send it: only closing is safe.
        boolean close = mustClose || !keepAlive || draining || expectContinue && !requestDone;
        setConnection(response.headers(), close);
        if (close) {
            closeAfter(response);
            return;
        }
        ctx.writeAndFlush(response, ctx.voidPromise());
        requestOver();
    }

    /** The response is out: the next request, or first the rest of this one's body, dropped. */
    private void requestOver() {
        if (requestDone) {
            exchangeDone();
        } else {
            state = State.DISCARDING;
            dispatchInbound();
        }
    }

    private void closeAfter(Object last) {
        if (last instanceof io.netty.handler.stream.ChunkedInput) {
            chunkedWriter();
        }
        releaseInbound();
        if (requestDone || !(ctx.channel() instanceof DuplexChannel duplex)) {
            state = State.CLOSING;
            updateClientRead();
            ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        // The client is still sending a body nobody reads. Closing now would answer its next bytes with a
        // reset, which can destroy the response before the client reads it (RFC 9112 §9.6): shut our
        // side after the response, read and drop the rest for timeouts.lingering-close, then close.
        state = State.LINGERING;
        updateClientRead();
        ctx.writeAndFlush(last).addListener(f -> {
            if (f.isSuccess()) {
                duplex.shutdownOutput();
            } else {
                ctx.close();
            }
        });
        long linger = settings.runtime().get().config.timeouts().lingeringClose().toNanos();
        ctx.executor().schedule(() -> {
            ctx.close(); // the client kept sending: enough
        }, linger, TimeUnit.NANOSECONDS);
    }

    @Override
    public void sendSwitchingProtocols(HttpResponse response) {
        ctx.write(response, ctx.voidPromise());
    }

    /** The HTTP codec and timers leave the pipeline; a {@link TunnelHandler} relays bytes to the upstream. */
    @Override
    public Channel becomeTunnel(Channel upstream, long idleTimeoutNanos) {
        exchange = null;
        state = State.CLOSING;
        timer.stop();
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        Channel client = ctx.channel();
        ChannelPipeline cp = client.pipeline();
        cp.replace(this, "tunnel", new TunnelHandler(upstream));
        cp.addBefore("tunnel", "tunnel-idle", new IdleStateHandler(0, 0, idleTimeoutNanos, TimeUnit.NANOSECONDS));
        cp.remove("http");
        releaseInbound();
        return client;
    }

    @Override
    public void abort() {
        exchange = null;
        state = State.CLOSING;
        releaseInbound();
        ctx.flush();
        ctx.close();
    }

    @Override
    public void inputDemandChanged() {
        updateClientRead();
    }

    // ---------------------------------------------------------------- client inactivity

    @Override
    public boolean exchangeTimed() {
        return state == State.EXCHANGE || state == State.DISCARDING;
    }

    @Override
    public Exchange exchangeInProgress() {
        return exchange;
    }

    @Override
    public long pendingWriteBytes() {
        var out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void timedOut(Exchange inProgress) {
        if (inProgress != null) {
            inProgress.clientInactive();
        } else {
            log.info("{}: client read nothing within timeouts.client; closing", ctx.channel());
            abort();
        }
    }
}
