package io.ferry.server;

import io.ferry.http.HopByHopHeaders;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import io.ferry.upstream.UpstreamConnection;
import io.ferry.upstream.UpstreamExchange;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
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
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection state machine of a client connection: receives requests from the HTTP decoder,
 * validates and routes them, forwards each over a pooled upstream connection and streams the response
 * back. One exchange at a time; pipelined requests wait in order until the one before is answered.
 *
 * <p>Flow control in both directions is by autoRead: the client is read only while its request body
 * can be written upstream, and the upstream is read only while the client can take more. Memory per
 * connection therefore stays bounded whatever the sizes and speeds on either side.
 *
 * <p>Everything here runs on the client channel's event loop, which its upstream connection shares.
 */
final class ProxyHandler extends ChannelDuplexHandler implements UpstreamExchange, ChannelFutureListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private enum State {
        /** Waiting for a request head. */
        IDLE,
        /** Request head accepted, waiting for an upstream connection; body parts are queued. */
        CONNECTING,
        /** Upstream attached: request body and response stream through. */
        STREAMING,
        /** Answered locally; reading and dropping the rest of the request body. */
        DISCARDING,
        /** The connection closes once the last write is flushed; input is dropped. */
        CLOSING
    }

    private final ProxySettings settings;
    private final RequestHeadTimeout headTimeout;
    private final ServerTimer serverTimer = new ServerTimer();
    /** Decoded inbound messages not yet handled: the rest of a pipelined batch. */
    private final ArrayDeque<Object> inbound = new ArrayDeque<>(4);
    /** Body parts that arrived before the upstream connection was ready. */
    private final ArrayDeque<HttpContent> bodyQueue = new ArrayDeque<>(4);
    private ChannelHandlerContext ctx;
    private String clientIp;
    private boolean draining;
    private State state = State.IDLE;

    // The exchange in progress.
    private HttpRequest request;
    private HttpMethod method;
    private String uri;
    private Backend backend;
    private ServerPool server;
    private UpstreamConnection upstream;
    private ChannelFuture connecting;
    private boolean clientKeepAlive;
    private boolean clientHttp10;
    private boolean expectContinue;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean skipInterimEnd;
    private boolean upstreamKeepAlive;
    private boolean closeAfterResponse;
    private boolean upstreamNeedsFlush;
    /** Between channelRead and channelReadComplete: upstream writes are flushed once, at the end. */
    private boolean inClientRead;
    private long bodyBytes;

    ProxyHandler(ProxySettings settings, RequestHeadTimeout headTimeout) {
        this.settings = settings;
        this.headTimeout = headTimeout;
    }

    // ---------------------------------------------------------------- client events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        clientIp = remote instanceof InetSocketAddress inet ? inet.getAddress().getHostAddress() : "unknown";
        headTimeout.awaitRequest();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inClientRead = true;
        inbound.add(msg);
        dispatchInbound();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inClientRead = false;
        flushUpstream();
    }

    private void flushUpstream() {
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            upstream.channel().flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateUpstreamRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state != State.IDLE && state != State.CLOSING && !responseStarted) {
            log.debug("{} {}: client closed the connection before the response", method, uri);
        }
        state = State.CLOSING;
        stopUpstream();
        serverTimer.cancel();
        releaseInbound();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        state = State.CLOSING;
        stopUpstream();
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Drain.INSTANCE) {
            draining = true;
            if (state == State.IDLE && inbound.isEmpty()) {
                state = State.CLOSING;
                ctx.close();
            }
        } else if (evt instanceof IdleStateEvent) {
            onClientInactivity();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Hands queued messages on while the state allows: heads when idle, body parts of the current request. */
    private void dispatchInbound() {
        while (!inbound.isEmpty() && (state == State.IDLE || !requestDone && state != State.CLOSING)) {
            Object msg = inbound.poll();
            if (state == State.IDLE) {
                if (msg instanceof HttpRequest req) {
                    onRequestHead(req);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            } else if (msg instanceof HttpContent content) {
                onRequestContent(content);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
        if (!inClientRead) {
            flushUpstream(); // messages held from an earlier read, handed on from an upstream event
        }
    }

    // ---------------------------------------------------------------- request

    private void onRequestHead(HttpRequest req) {
        headTimeout.headReceived();
        resetExchange();
        method = req.method();
        uri = req.uri();
        HttpResponseStatus rejected = validate(req);
        if (rejected != null) {
            ReferenceCountUtil.release(req);
            reject(rejected);
            return;
        }
        HttpHeaders headers = req.headers();
        String host = headers.get(HttpHeaderNames.HOST);
        Backend target = settings.router().route(host, uri.equals("*") ? "/" : uri);
        clientHttp10 = req.protocolVersion().minorVersion() == 0;
        clientKeepAlive = HttpUtil.isKeepAlive(req);
        expectContinue = HttpUtil.is100ContinueExpected(req);
        state = State.CONNECTING;
        if (target == null) {
            respondLocally(HttpResponseStatus.NOT_FOUND, "no route for host " + host);
            return;
        }
        backend = target;
        server = target.pick();
        if (server == null) {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server with free capacity");
            return;
        }
        request = prepareUpstreamRequest(req, host);
        ctx.channel().config().setAutoRead(false);
        if (expectContinue) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
        UpstreamConnection idle = server.pollIdle();
        if (idle != null) {
            attach(idle);
        } else {
            connect();
        }
    }

    /** Checks framing, limits and form; null when the request may be forwarded. */
    private HttpResponseStatus validate(HttpRequest req) {
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            log.debug("rejecting malformed request from {}: {}", clientIp, String.valueOf(cause));
            if (cause instanceof TooLongHttpLineException) {
                return HttpResponseStatus.REQUEST_URI_TOO_LONG;
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            }
            return HttpResponseStatus.BAD_REQUEST;
        }
        HttpVersion version = req.protocolVersion();
        if (version.majorVersion() != 1) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        HttpHeaders headers = req.headers();
        if (headers.size() > settings.limits().maxHeaders()) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        if (req.method() == HttpMethod.CONNECT) {
            return HttpResponseStatus.METHOD_NOT_ALLOWED;
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || version.minorVersion() >= 1 && hosts.isEmpty()) {
            return HttpResponseStatus.BAD_REQUEST; // RFC 9112 §3.2: exactly one Host in HTTP/1.1
        }
        String target = req.uri();
        if (!target.startsWith("/")) {
            if (target.equals("*") && req.method() == HttpMethod.OPTIONS) {
                // asterisk-form is valid for OPTIONS only
            } else if (!toOriginForm(req)) {
                return HttpResponseStatus.BAD_REQUEST;
            }
        }
        long length = HttpUtil.getContentLength(req, -1L);
        if (length > settings.limits().maxBodySize()) {
            return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
            return HttpResponseStatus.EXPECTATION_FAILED;
        }
        return null;
    }

    /**
     * An absolute-form target ({@code http://host/path}) becomes origin form, and its authority
     * replaces the Host header (RFC 9112 §3.2.2).
     */
    private boolean toOriginForm(HttpRequest req) {
        String target = req.uri();
        int start;
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            start = 7;
        } else if (target.regionMatches(true, 0, "https://", 0, 8)) {
            start = 8;
        } else {
            return false;
        }
        int slash = target.indexOf('/', start);
        int query = target.indexOf('?', start);
        int end = slash < 0 ? (query < 0 ? target.length() : query) : (query >= 0 && query < slash ? query : slash);
        String authority = target.substring(start, end);
        if (authority.isEmpty() || authority.indexOf('@') >= 0) {
            return false;
        }
        String rest = target.substring(end);
        String path = rest.isEmpty() ? "/" : rest.startsWith("?") ? "/" + rest : rest;
        req.headers().set(HttpHeaderNames.HOST, authority);
        req.setUri(path);
        uri = path;
        return true;
    }

    private HttpRequest prepareUpstreamRequest(HttpRequest req, String host) {
        HttpHeaders headers = req.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        HopByHopHeaders.strip(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (host == null || !backend.config().preserveHost()) {
            headers.set(HttpHeaderNames.HOST, server.name());
        }
        settings.forwarded().onRequest(headers, req.protocolVersion(), clientIp, settings.tls(), host);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        return req;
    }

    private void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestDone = true;
        }
        if (content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(content);
            clientKeepAlive = false; // the decoder cannot find the next request after a framing error
            fail(HttpResponseStatus.BAD_REQUEST, "malformed request body: " + content.decoderResult().cause());
            return;
        }
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > settings.limits().maxBodySize()) {
            ReferenceCountUtil.release(content);
            clientKeepAlive = false;
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over limits.max-body-size");
            return;
        }
        switch (state) {
            case DISCARDING -> {
                content.release();
                if (last) {
                    endExchange();
                }
            }
            case CONNECTING -> bodyQueue.add(content);
            case STREAMING -> {
                upstream.channel().write(content, upstream.channel().voidPromise());
                upstreamNeedsFlush = true;
                serverTimer.touch();
                if (last) {
                    updateClientRead();
                }
            }
            default -> content.release();
        }
    }

    // ---------------------------------------------------------------- upstream connection

    private void connect() {
        ChannelFuture f = server.connect(ctx.channel().eventLoop());
        if (f == null) {
            respondLocally(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "server " + server.name() + " at pool.max-connections");
            return;
        }
        connecting = f;
        if (f.isDone()) {
            operationComplete(f);
        } else {
            f.addListener(this);
        }
    }

    /** Completion of an upstream connect. */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (f != connecting) {
            // The exchange was abandoned while connecting; the fresh connection is not needed.
            if (f.isSuccess()) {
                f.channel().close();
            }
            return;
        }
        connecting = null;
        if (f.isSuccess()) {
            attach(f.channel().pipeline().get(UpstreamConnection.class));
        } else {
            Throwable cause = f.cause();
            HttpResponseStatus status = cause instanceof ConnectTimeoutException
                    ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY;
            fail(status, "connect failed: " + cause.getMessage());
        }
    }

    private void attach(UpstreamConnection connection) {
        upstream = connection;
        connection.attach(this);
        state = State.STREAMING;
        var ch = connection.channel();
        ch.write(request, ch.voidPromise());
        request = null;
        HttpContent part;
        while ((part = bodyQueue.poll()) != null) {
            ch.write(part, ch.voidPromise());
        }
        ch.flush();
        upstreamNeedsFlush = false;
        serverTimer.start(backend.config().serverTimeout().toNanos());
        updateClientRead();
        updateUpstreamRead();
    }

    // ---------------------------------------------------------------- response

    @Override
    public void upstreamRead(UpstreamConnection connection, Object msg) {
        if (connection != upstream) {
            ReferenceCountUtil.release(msg);
            return;
        }
        serverTimer.touch();
        if (msg instanceof HttpResponse response) {
            onResponseHead(response);
        } else if (msg instanceof HttpContent content) {
            onResponseContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            ReferenceCountUtil.release(response);
            fail(HttpResponseStatus.BAD_GATEWAY, "malformed response: " + response.decoderResult().cause());
            return;
        }
        int code = response.status().code();
        if (code < 200) {
            ReferenceCountUtil.release(response);
            if (code == 101) {
                fail(HttpResponseStatus.BAD_GATEWAY, "101 Switching Protocols to a request without Upgrade");
            } else {
                skipInterimEnd = true; // 100/102/103: Ferry already answered Expect itself
            }
            return;
        }
        responseStarted = true;
        HttpHeaders headers = response.headers();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        HopByHopHeaders.strip(headers);
        settings.forwarded().onResponse(headers, response.protocolVersion());
        boolean bodyless = method == HttpMethod.HEAD || code == 204 || code == 304;
        if (!bodyless && !hasLength) {
            if (clientHttp10) {
                closeAfterResponse = true; // an HTTP/1.0 client reads to the close
            } else {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        }
        if (!clientKeepAlive || draining || !requestDone) {
            closeAfterResponse = true;
        }
        if (closeAfterResponse) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        ctx.write(response, ctx.voidPromise());
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (skipInterimEnd) {
            content.release();
            if (last) {
                skipInterimEnd = false;
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            fail(HttpResponseStatus.BAD_GATEWAY, "malformed response body: " + content.decoderResult().cause());
            return;
        }
        if (!responseStarted) {
            content.release();
            fail(HttpResponseStatus.BAD_GATEWAY, "response body without a response head");
            return;
        }
        if (!last) {
            ctx.write(content, ctx.voidPromise());
            return;
        }
        serverTimer.stop();
        UpstreamConnection c = upstream;
        upstream = null;
        if (upstreamKeepAlive && requestDone) {
            c.release();
        } else {
            c.close();
        }
        if (closeAfterResponse || !requestDone) {
            state = State.CLOSING;
            releaseInbound();
            ctx.writeAndFlush(content).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(content, ctx.voidPromise());
            endExchange();
        }
    }

    @Override
    public void upstreamReadComplete(UpstreamConnection connection) {
        if (connection == upstream) {
            ctx.flush();
        }
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamConnection connection) {
        if (connection == upstream) {
            updateClientRead();
        }
    }

    @Override
    public void upstreamInactive(UpstreamConnection connection) {
        if (connection != upstream) {
            return;
        }
        upstream = null;
        fail(HttpResponseStatus.BAD_GATEWAY, responseStarted
                ? "server closed the connection mid-response"
                : "server closed the connection before responding"
                + (connection.previousRequests() > 0 ? " (reused connection)" : ""));
    }

    @Override
    public void upstreamException(UpstreamConnection connection, Throwable cause) {
        if (connection != upstream) {
            return;
        }
        upstream = null;
        connection.close();
        fail(HttpResponseStatus.BAD_GATEWAY, "server connection error: " + cause);
    }

    // ---------------------------------------------------------------- endings

    /** Back to idle: the next pipelined request, or wait for one. */
    private void endExchange() {
        state = State.IDLE;
        resetExchange();
        dispatchInbound();
        if (state == State.IDLE) {
            if (draining) {
                state = State.CLOSING;
                ctx.close();
                return;
            }
            ctx.channel().config().setAutoRead(true);
            headTimeout.awaitRequest();
        }
    }

    private void resetExchange() {
        request = null;
        backend = null;
        server = null;
        clientKeepAlive = false;
        clientHttp10 = false;
        expectContinue = false;
        requestDone = false;
        responseStarted = false;
        skipInterimEnd = false;
        upstreamKeepAlive = false;
        closeAfterResponse = false;
        upstreamNeedsFlush = false;
        bodyBytes = 0;
    }

    /** A request rejected before routing: answer and close, nothing is forwarded. */
    private void reject(HttpResponseStatus status) {
        state = State.CLOSING;
        releaseInbound();
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(ErrorResponses.create(ctx.alloc(), status, true)).addListener(ChannelFutureListener.CLOSE);
    }

    /** A valid request Ferry answers itself; the connection stays open if the body can be skipped. */
    private void respondLocally(HttpResponseStatus status, String reason) {
        if (status.code() >= 500) {
            log.warn("{} {} -> backend={} server={}: {} ({})", method, uri, backend, server, status.code(), reason);
        } else {
            log.debug("{} {}: {} ({})", method, uri, status.code(), reason);
        }
        responseStarted = true;
        boolean close = !clientKeepAlive || draining || expectContinue;
        if (close) {
            reject(status);
            return;
        }
        ctx.writeAndFlush(ErrorResponses.create(ctx.alloc(), status, false), ctx.voidPromise());
        state = State.DISCARDING;
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * The exchange failed. Before any response byte went out the client gets {@code status}; after,
     * the only honest signal left is closing the connection.
     */
    private void fail(HttpResponseStatus status, String reason) {
        log.warn("{} {} -> backend={} server={}: {} ({})", method, uri, backend, server,
                responseStarted ? "aborted" : status.code(), reason);
        stopUpstream();
        if (responseStarted) {
            state = State.CLOSING;
            releaseInbound();
            ctx.flush();
            ctx.close();
            return;
        }
        responseStarted = true;
        boolean close = !requestDone || !clientKeepAlive || draining;
        if (close) {
            reject(status);
        } else {
            ctx.writeAndFlush(ErrorResponses.create(ctx.alloc(), status, false), ctx.voidPromise());
            endExchange();
        }
    }

    private void onClientInactivity() {
        boolean waitingForServer = (state == State.CONNECTING || state == State.STREAMING)
                && requestDone && !responseStarted;
        if (state == State.IDLE || state == State.CLOSING || waitingForServer) {
            return; // idle keepalive has its own timer; a slow server is timeouts.server's business
        }
        log.info("{} {}: client inactive for timeouts.client; closing", method, uri);
        if (!responseStarted) {
            fail(HttpResponseStatus.REQUEST_TIMEOUT, "client sent no data within timeouts.client");
        } else {
            state = State.CLOSING;
            stopUpstream();
            ctx.close();
        }
    }

    private void onServerTimeout() {
        fail(HttpResponseStatus.GATEWAY_TIMEOUT, "no data from server within timeouts.server");
    }

    /** Lets go of everything upstream: pending connect, attached connection, queued body. */
    private void stopUpstream() {
        serverTimer.stop();
        connecting = null;
        UpstreamConnection c = upstream;
        upstream = null;
        if (c != null) {
            c.close();
        }
        HttpContent part;
        while ((part = bodyQueue.poll()) != null) {
            part.release();
        }
        if (request != null) {
            ReferenceCountUtil.release(request);
            request = null;
        }
    }

    private void releaseInbound() {
        Object msg;
        while ((msg = inbound.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    // ---------------------------------------------------------------- flow control

    private void updateClientRead() {
        boolean read = switch (state) {
            case IDLE, DISCARDING -> true;
            case STREAMING -> !requestDone && upstream != null && upstream.channel().isWritable();
            case CONNECTING, CLOSING -> false;
        };
        ctx.channel().config().setAutoRead(read);
    }

    private void updateUpstreamRead() {
        if (upstream != null) {
            upstream.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /**
     * Server inactivity timer, armed lazily: activity only records a timestamp, and the one task per
     * connection re-arms itself for the remainder when it fires early, so a busy keepalive connection
     * schedules almost nothing per request.
     */
    private final class ServerTimer implements Runnable {
        private long timeoutNanos;
        private long lastActivity;
        private boolean active;
        private ScheduledFuture<?> future;

        void start(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
            lastActivity = System.nanoTime();
            active = true;
            if (future == null) {
                future = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }

        void touch() {
            lastActivity = System.nanoTime();
        }

        void stop() {
            active = false;
        }

        /** The connection is gone: drop the task so it does not keep this handler alive. */
        void cancel() {
            active = false;
            if (future != null) {
                future.cancel(false);
                future = null;
            }
        }

        @Override
        public void run() {
            future = null;
            if (!active || !ctx.channel().isActive()) {
                return;
            }
            long quiet = System.nanoTime() - lastActivity;
            if (quiet < timeoutNanos) {
                future = ctx.executor().schedule(this, timeoutNanos - quiet, TimeUnit.NANOSECONDS);
                return;
            }
            active = false;
            onServerTimeout();
        }
    }
}
