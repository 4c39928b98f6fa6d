package io.ferry.server;

import io.ferry.cache.CacheControl;
import io.ferry.cache.CachedResponse;
import io.ferry.cache.Freshness;
import io.ferry.cache.HttpCache;
import io.ferry.cache.RequestPolicy;
import io.ferry.cache.StorePolicy;
import io.ferry.accesslog.LogFormat;
import io.ferry.config.Limits;
import io.ferry.fastcgi.CgiParams;
import io.ferry.fastcgi.FastCgiSite;
import io.ferry.fastcgi.FcgiRequest;
import io.ferry.files.StaticFiles;
import io.ferry.http.HopByHopHeaders;
import io.ferry.http.RequestPaths;
import io.ferry.tunnel.TunnelHandler;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import io.ferry.upstream.SlotWaiter;
import io.ferry.upstream.UpstreamConnection;
import io.ferry.upstream.UpstreamExchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
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
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection state machine of a client connection: receives requests from the HTTP decoder,
 * validates and routes them, forwards each over a pooled upstream connection (retrying where that is
 * safe) and streams the response back. One exchange at a time; pipelined requests wait in order until
 * the one before is answered. A 101 answer to an Upgrade request turns the connection into a tunnel.
 *
 * <p>Flow control in both directions is by autoRead: the client is read unless what it sent cannot be
 * handed on yet (see {@link #updateClientRead}), and the upstream is read only while the client can take
 * more. Memory per connection therefore stays bounded whatever the sizes and speeds on either side.
 *
 * <p>Everything here runs on the client channel's event loop, which its upstream connection shares.
 */
final class ProxyHandler extends ChannelDuplexHandler implements UpstreamExchange, ChannelFutureListener,
        LogFormat.Exchange {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private enum State {
        /** Waiting for a request head. */
        IDLE,
        /** Reading a chunked body whole before a FastCGI script runs: CGI needs CONTENT_LENGTH first. */
        BUFFERING,
        /** Every server is at max-conns: waiting in the backend's queue for a slot. */
        QUEUED,
        /** A cache miss whose fetch another request is making: waiting for its object. */
        WAITING_CACHE,
        /** Server chosen, waiting for an upstream connection; body parts are queued. */
        CONNECTING,
        /** Upstream attached: request body and response stream through. */
        STREAMING,
        /** Answered locally; reading and dropping the rest of the request body. */
        DISCARDING,
        /** The connection closes once the last write is flushed (or became a tunnel); input is dropped. */
        CLOSING
    }

    /** How an attempt failed, which decides whether it may be retried (see {@link #attemptFailed}). */
    private enum Failure {
        /** No connection: nothing was sent. */
        CONNECT,
        /** A reused keepalive connection closed before any response byte: the stale-connection race. */
        STALE,
        /** The server sent nothing within timeouts.server. */
        TIMEOUT,
        /** The connection broke before the response began. */
        RESET,
        /** The server answered something that is not HTTP. */
        BAD_RESPONSE
    }

    private final ProxySettings settings;
    private final RequestHeadTimeout headTimeout;
    private final ServerTimer serverTimer = new ServerTimer();
    private final ClientTimer clientTimer = new ClientTimer();
    private final QueueWaiter waiter = new QueueWaiter();
    /** Decoded inbound messages not yet handled: the rest of a pipelined batch. */
    private final ArrayDeque<Object> inbound = new ArrayDeque<>(4);
    /** Body parts that arrived before the upstream connection was ready. */
    private final ArrayDeque<HttpContent> bodyQueue = new ArrayDeque<>(4);
    /** Copies of the body parts sent so far, to send again on a retry (up to limits.max-replay-body). */
    private final List<HttpContent> replay = new ArrayList<>(2);
    private ChannelHandlerContext ctx;
    private String clientIp;
    private boolean draining;
    /** What this handler last set the client channel's autoRead to (it starts reading). */
    private boolean clientReading = true;
    private State state = State.IDLE;

    // The exchange in progress.
    private ProxyRuntime runtime;
    private HttpRequest request;
    /** For a FastCGI backend: the CGI parameters sent in place of the request head. */
    private FcgiRequest fcgiHead;
    private HttpMethod method;
    private String uri;
    /** The request path as routing and the cache's path rules see it (see {@link RequestPaths}). */
    private String normalPath;
    private Backend backend;
    private CharSequence hashKey;
    private ServerPool server;
    private boolean holdsSlot;
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
    private CharSequence upgradeProtocol;
    private boolean switchingProtocols;
    private boolean replayable;
    private long replayBytes;
    private int retriesLeft;
    private boolean staleRetried;
    private boolean freshConnectionOnly;
    private long bodyBytes;
    private long queueDeadline;

    // The exchange's use of the shared cache.
    private CacheFront cacheFront;
    private String cachePrimary;
    /** Variant key this exchange fetches (and stores) for; null when it does not store. */
    private String cacheKey;
    /** True while others may wait on this exchange's fetch of cacheKey. */
    private boolean cacheFetcher;
    private boolean cacheStaticAsset;
    /** A HEAD miss fetched upstream as GET so the object can be stored; its body is not sent. */
    private boolean headAsGet;
    /** The script a chunked body being read whole (state BUFFERING) goes to once complete. */
    private FastCgiSite.Script bufferingScript;
    private String cacheLabel;
    /** A kept object being revalidated; also the stand-in when the backend fails (stale-if-error). */
    private CachedResponse staleObject;
    /** Set when a 304 refreshed staleObject: served once the 304's end arrives. */
    private CachedResponse revalidated;
    private String clientIfNoneMatch;
    private String clientIfModifiedSince;
    private StorePolicy.Decision storeDecision;
    private List<Map.Entry<String, String>> storeHeaders;
    private int storeStatus;
    private String storeReason;
    private ByteBuf storeBody;
    private long fetchStarted;
    private int cacheWaitGeneration;
    private ScheduledFuture<?> cacheWaitTimer;

    // What the access log and the metrics report of the exchange.
    private long exchangeStart;
    private int responseStatus;
    private long bytesSent;
    private long upstreamSentAt;
    private long upstreamNanos;
    private String upstreamAddr;
    private String clientProtocol;
    private String requestHost;
    private String referer;
    private String userAgent;
    private boolean recorded;
    private String routeName;

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
        clientTimer.lastActivity = System.nanoTime();
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
            responseStatus = 499; // nginx's "client closed request"
            recordExchange();
        }
        state = State.CLOSING;
        endAttempt();
        releaseServer();
        releaseRequest();
        serverTimer.cancel();
        clientTimer.cancel();
        releaseInbound();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        state = State.CLOSING;
        endAttempt();
        releaseServer();
        releaseRequest();
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
        } else if (evt instanceof SslHandshakeCompletionEvent hs) {
            settings.metrics().tlsHandshake(settings.listener(), hs.isSuccess());
            ctx.fireUserEventTriggered(evt);
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
        updateClientRead();
    }

    // ---------------------------------------------------------------- request

    private void onRequestHead(HttpRequest req) {
        headTimeout.headReceived();
        resetExchange();
        exchangeStart = System.nanoTime();
        runtime = settings.runtime().get();
        clientTimer.start(runtime.config.timeouts().client().toNanos());
        method = req.method();
        uri = req.uri();
        clientProtocol = req.protocolVersion().text();
        requestHost = req.headers().get(HttpHeaderNames.HOST);
        referer = req.headers().get(HttpHeaderNames.REFERER);
        userAgent = req.headers().get(HttpHeaderNames.USER_AGENT);
        HttpResponseStatus rejected = validate(req, runtime.config.limits());
        if (rejected != null) {
            ReferenceCountUtil.release(req);
            reject(rejected);
            return;
        }
        HttpHeaders headers = req.headers();
        String host = headers.get(HttpHeaderNames.HOST);
        clientHttp10 = req.protocolVersion().minorVersion() == 0;
        clientKeepAlive = HttpUtil.isKeepAlive(req);
        expectContinue = HttpUtil.is100ContinueExpected(req);
        state = State.CONNECTING;
        String rawPath = pathOf(uri);
        normalPath = RequestPaths.normalize(rawPath);
        String target = normalPath == rawPath ? uri : normalPath + uri.substring(rawPath.length());
        ProxyRuntime.RouteTarget route = runtime.router.route(host, uri.equals("*") ? "/" : target);
        if (route == null) {
            giveUp(HttpResponseStatus.NOT_FOUND, "no route for host " + host);
            return;
        }
        Backend chosen = route.backend();
        routeName = route.name();
        backend = chosen;
        hashKey = chosen.hashesSource() ? clientIp : normalPath;
        retriesLeft = chosen.config().retries();
        replayable = true;
        chosen.retryBudget().onRequest();
        request = prepareUpstreamRequest(req, host);
        CacheFront front = route.cache() ? runtime.cache : null;
        if (front != null && (method.name().equals("PURGE") || method.name().equals("BAN"))) {
            invalidate(front, host);
            return;
        }
        boolean lookup = front != null && cacheRequestPolicy(front, host);
        FastCgiSite site = chosen.fastCgiSite();
        if (site != null) {
            fcgiHead = fastCgiHead(site);
            if (fcgiHead == null) {
                return; // answered from the document root, refused, or reading a chunked body first
            }
        }
        if (lookup && cacheLookup(front)) {
            return; // answered from the cache, or waiting for a fetch in flight
        }
        sendContinueIfExpected();
        dispatch(null);
    }

    // ---------------------------------------------------------------- the shared cache

    /**
     * Varnish's request rules: returns true when the request may be answered from the cache (its
     * non-session cookies are then stripped); an unsafe method invalidates the URL.
     */
    private boolean cacheRequestPolicy(CacheFront front, String host) {
        String cookie = request.headers().contains(HttpHeaderNames.COOKIE)
                ? String.join("; ", request.headers().getAll(HttpHeaderNames.COOKIE)) : null;
        RequestPolicy.Decision d = front.requestPolicy.decide(method.name(), normalPath,
                request.headers().contains(HttpHeaderNames.AUTHORIZATION), cookie);
        cacheFront = front;
        cachePrimary = HttpCache.primaryKey(host, uri);
        if (!d.lookup()) {
            cacheLabel = "PASS";
            front.cache.stats().countPass();
            if (method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS) {
                front.cache.purge(cachePrimary); // RFC 9111 §4.4: unsafe methods invalidate the URL
            }
            return false;
        }
        if (d.cookieToForward() == null) {
            request.headers().remove(HttpHeaderNames.COOKIE);
        }
        cacheStaticAsset = d.isStatic();
        return true;
    }

    /** Looks the request up; true when it was answered (hit) or now waits for a fetch in flight. */
    private boolean cacheLookup(CacheFront front) {
        HttpCache.Lookup l = front.cache.lookup(cachePrimary, request.headers()::get);
        switch (l.state()) {
            case FRESH -> {
                if (serveCached(l.object(), "HIT")) {
                    front.cache.stats().countHit();
                    return true;
                }
            }
            case GRACE -> {
                if (!front.cache.fetching(l.key())) {
                    refreshInBackground(front, l.key()); // before serving: serving ends the request
                }
                if (serveCached(l.object(), "HIT")) {
                    front.cache.stats().countGraceHit();
                    return true;
                }
            }
            case STALE -> staleObject = l.object();
            case HIT_FOR_MISS -> {
                cacheLabel = "MISS"; // straight to the backend, no waiting list; stored if cacheable now
                cacheKey = l.key();
                return false;
            }
            case MISS -> {
            }
        }
        cacheLabel = "MISS";
        if (method == HttpMethod.HEAD) {
            if (fcgiHead != null) {
                return false; // PHP answers HEAD without a body, so there is nothing to store: passed
            }
            // As Varnish does: fetch the object with GET so it can be stored; the client gets the head.
            headAsGet = true;
            request.setMethod(HttpMethod.GET);
        }
        cacheKey = l.key();
        int generation = ++cacheWaitGeneration;
        if (front.cache.fetchOrWait(cacheKey, obj -> ctx.executor().execute(() -> cacheWaitDone(generation, obj)))) {
            cacheFetcher = true;
            fetchStarted = front.cache.now();
            if (staleObject != null && staleObject.hasValidators() && fcgiHead == null) {
                HttpHeaders h = request.headers();
                clientIfNoneMatch = h.get(HttpHeaderNames.IF_NONE_MATCH);
                clientIfModifiedSince = h.get(HttpHeaderNames.IF_MODIFIED_SINCE);
                h.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
                if (staleObject.etag() != null) {
                    h.set(HttpHeaderNames.IF_NONE_MATCH, staleObject.etag());
                } else {
                    h.set(HttpHeaderNames.IF_MODIFIED_SINCE, staleObject.lastModified());
                }
            }
            return false;
        }
        if (state != State.CONNECTING) {
            return true; // the waiter was answered at once (the fetch had just ended)
        }
        state = State.WAITING_CACHE;
        updateClientRead();
        cacheWaitTimer = ctx.executor().schedule(() -> cacheWaitDone(generation, null),
                front.config.waitTimeout().toNanos(), TimeUnit.NANOSECONDS);
        return true;
    }

    /** The fetch this request waited for ended (obj: what it stored), or the wait timed out (null). */
    private void cacheWaitDone(int generation, CachedResponse obj) {
        if (generation != cacheWaitGeneration || (state != State.WAITING_CACHE && state != State.CONNECTING)) {
            return;
        }
        cacheWaitGeneration++;
        if (cacheWaitTimer != null) {
            cacheWaitTimer.cancel(false);
            cacheWaitTimer = null;
        }
        if (obj != null && serveCached(obj, "HIT")) {
            cacheFront.cache.stats().countHit();
            return;
        }
        // Uncacheable (or the wait ran out): go to the backend in parallel with the others.
        cacheKey = null;
        state = State.CONNECTING;
        updateClientRead();
        dispatch(null);
    }

    /** Grace: one background fetch refreshes the object while clients get the stale copy. */
    private void refreshInBackground(CacheFront front, String key) {
        Object head;
        if (fcgiHead != null) {
            head = fcgiHead;
        } else {
            HttpHeaders h = request.headers().copy();
            h.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE)
                    .remove(HttpHeaderNames.RANGE).remove(HttpHeaderNames.IF_RANGE);
            head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, h);
        }
        BackgroundRefresh.start(front, backend, hashKey, head, request.headers().copy(), cachePrimary, key,
                cacheStaticAsset, ctx.channel().eventLoop());
    }

    /**
     * Answers from a stored object: Age and X-Cache added, 304 for a matching conditional, a single
     * range as 206, HEAD without body. The body is written as is (a retained view, no copy).
     * False when the object's body was released meanwhile (evicted by another thread).
     */
    private boolean serveCached(CachedResponse c, String label) {
        ByteBuf body = HttpCache.tryRetainBody(c);
        if (body == null) {
            return false;
        }
        HttpResponse head = cacheFront.responseHead(c, label);
        HttpHeaders h = head.headers();
        ByteBuf out = body;
        if (CacheFront.notModified(c, request.headers())) {
            head.setStatus(HttpResponseStatus.NOT_MODIFIED);
            h.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.CONTENT_TYPE);
            body.release();
            out = Unpooled.EMPTY_BUFFER;
        } else if (method == HttpMethod.HEAD) {
            body.release();
            out = Unpooled.EMPTY_BUFFER;
        } else if (c.status() == 200 && request.headers().contains(HttpHeaderNames.RANGE)) {
            long size = body.readableBytes();
            long[] r = StaticFiles.singleRange(request.headers().get(HttpHeaderNames.RANGE), size);
            if (r == null) {
                head.setStatus(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                body.release();
                out = Unpooled.EMPTY_BUFFER;
            } else if (r.length == 2) {
                int len = (int) (r[1] - r[0] + 1);
                out = body.retainedSlice(body.readerIndex() + (int) r[0], len);
                body.release();
                head.setStatus(HttpResponseStatus.PARTIAL_CONTENT);
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + r[0] + "-" + r[1] + "/" + size)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, len);
            }
        }
        runtime.forwarded.onResponse(h, HttpVersion.HTTP_1_1);
        responseStarted = true;
        responseStatus = head.status().code();
        bytesSent = out.readableBytes();
        if (cacheLabel == null) {
            cacheLabel = label;
        }
        boolean close = !clientKeepAlive || draining;
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.write(head, ctx.voidPromise());
        ChannelFuture done = ctx.writeAndFlush(new DefaultLastHttpContent(out));
        afterLocalResponse(done, close);
        return true;
    }

    /** PURGE (a URL, or the tags in X-Purge-Tags) and BAN (X-Ban-Host / X-Ban-Path regexes), ACL-checked. */
    private void invalidate(CacheFront front, String host) {
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!front.mayPurge(remote.getAddress())) {
            log.warn("{} {} from {} refused: not in cache.purge.allow", method, uri, clientIp);
            giveUp(HttpResponseStatus.FORBIDDEN, method + " from " + clientIp);
            return;
        }
        HttpHeaders h = request.headers();
        int n;
        String what;
        try {
            if (method.name().equals("BAN")) {
                String hostRe = h.get("x-ban-host");
                String pathRe = h.get("x-ban-path");
                n = front.cache.ban(hostRe == null ? null : java.util.regex.Pattern.compile(hostRe),
                        pathRe == null ? null : java.util.regex.Pattern.compile(pathRe));
                what = "banned";
            } else if (h.contains("x-purge-tags")) {
                n = front.cache.purgeTags(List.of(h.get("x-purge-tags").trim().split("[\\s,]+")));
                what = "purged by tag";
            } else {
                n = front.cache.purge(HttpCache.primaryKey(host, uri));
                what = "purged";
            }
        } catch (java.util.regex.PatternSyntaxException e) {
            giveUp(HttpResponseStatus.BAD_REQUEST, "bad ban pattern: " + e.getDescription());
            return;
        }
        log.info("{} {} from {}: {} {} objects", method, uri, clientIp, what, n);
        byte[] text = (what + " " + n + " objects\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(text));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        responseStarted = true;
        responseStatus = 200;
        bytesSent = text.length;
        boolean close = !clientKeepAlive || draining;
        if (close) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        afterLocalResponse(ctx.writeAndFlush(res), close);
    }

    /** The fetch for the waiting list is over: waiters get {@code stored}, or go to the backend (null). */
    private void endCacheFetch(CachedResponse stored) {
        if (cacheFetcher) {
            cacheFetcher = false;
            cacheFront.cache.fetchDone(cacheKey, stored);
        }
    }

    /** Drops the exchange's cache state: an unfinished body copy, the fetch, a wait. */
    private void endCache() {
        if (storeBody != null) {
            storeBody.release();
            storeBody = null;
        }
        endCacheFetch(null);
        if (cacheWaitTimer != null) {
            cacheWaitTimer.cancel(false);
            cacheWaitTimer = null;
        }
        cacheWaitGeneration++;
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    private static String queryOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? "" : uri.substring(q + 1);
    }

    // ---------------------------------------------------------------- FastCGI backends and static files

    /**
     * Maps the request onto the backend's document root: a script gets its CGI parameters (returned),
     * a static file is served here, anything else is refused; those two return null, as does a script
     * whose chunked body must be read first (state BUFFERING).
     */
    private FcgiRequest fastCgiHead(FastCgiSite site) {
        FastCgiSite.Resolution resolution = site.resolve(pathOf(uri), queryOf(uri));
        if (resolution instanceof FastCgiSite.Script script) {
            if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
                bufferForScript(script);
                return null;
            }
            return cgiRequest(site, script);
        }
        if (resolution instanceof FastCgiSite.StaticFile file) {
            serveStatic(file.file());
        } else if (resolution instanceof FastCgiSite.Refused refused) {
            giveUp(HttpResponseStatus.valueOf(refused.status()), refused.reason());
        }
        return null;
    }

    /** Expect: 100-continue is answered by Ferry itself, once the request is going to be read. */
    private void sendContinueIfExpected() {
        if (expectContinue) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
    }

    private FcgiRequest cgiRequest(FastCgiSite site, FastCgiSite.Script script) {
        CgiParams.Connection conn = new CgiParams.Connection((InetSocketAddress) ctx.channel().localAddress(),
                (InetSocketAddress) ctx.channel().remoteAddress(), settings.tls());
        return new FcgiRequest(method, CgiParams.build(site, script, request, uri, clientProtocol, conn));
    }

    /**
     * A chunked body for a script: CGI gives the script CONTENT_LENGTH before the body, so the body is
     * read whole first (as nginx does), in memory up to fastcgi.max-buffered-body, then sent.
     */
    private void bufferForScript(FastCgiSite.Script script) {
        bufferingScript = script;
        state = State.BUFFERING;
        sendContinueIfExpected();
    }

    /** The buffered body is complete: the script gets its length, then head and body go out together. */
    private void bufferedBodyComplete() {
        HttpHeaders h = request.headers();
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        h.set(HttpHeaderNames.CONTENT_LENGTH, bodyBytes);
        fcgiHead = cgiRequest(backend.fastCgiSite(), bufferingScript);
        bufferingScript = null;
        state = State.CONNECTING;
        dispatch(null);
    }

    /**
     * Sends a file from the document root: zero-copy (sendfile) on plain connections, streamed in
     * chunks through TLS; conditional requests and single ranges per {@link StaticFiles}.
     */
    private void serveStatic(Path file) {
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            giveUp(HttpResponseStatus.METHOD_NOT_ALLOWED, method + " on a static file");
            return;
        }
        StaticFiles.Plan plan;
        RandomAccessFile raf = null;
        try {
            plan = StaticFiles.plan(file, method, request.headers());
            if (plan.length() > 0) {
                raf = new RandomAccessFile(file.toFile(), "r");
            }
        } catch (IOException e) {
            giveUp(HttpResponseStatus.NOT_FOUND, "cannot read " + file + ": " + e.getMessage());
            return;
        }
        responseStarted = true;
        HttpResponse head = plan.head();
        responseStatus = head.status().code();
        bytesSent = plan.length();
        boolean close = !clientKeepAlive || draining;
        if (close) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.write(head, ctx.voidPromise());
        ChannelFuture done;
        if (raf == null) {
            done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (settings.tls()) {
            try {
                done = ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(raf.getChannel(), plan.offset(),
                        plan.length(), 16 * 1024)));
            } catch (IOException e) {
                closeQuietly(raf);
                ctx.close();
                return;
            }
        } else {
            ctx.write(new DefaultFileRegion(raf.getChannel(), plan.offset(), plan.length()), ctx.voidPromise());
            done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        afterLocalResponse(done, close);
    }

    /** After a response Ferry wrote itself: close, or take the next request (dropping any body first). */
    private void afterLocalResponse(ChannelFuture done, boolean close) {
        releaseRequest();
        recordExchange();
        if (close) {
            state = State.CLOSING;
            releaseInbound();
            done.addListener(ChannelFutureListener.CLOSE);
        } else if (requestDone) {
            endExchange();
        } else {
            state = State.DISCARDING;
            dispatchInbound();
        }
    }

    private static void closeQuietly(RandomAccessFile raf) {
        try {
            raf.close();
        } catch (IOException e) {
            // nothing to add: the connection is being closed
        }
    }

    /** Checks framing, limits and form; null when the request may be forwarded. */
    private HttpResponseStatus validate(HttpRequest req, Limits limits) {
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
        if (headers.size() > limits.maxHeaders()) {
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
        if (length > limits.maxBodySize()) {
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
        upgradeProtocol = upgradeRequested(req) ? headers.get(HttpHeaderNames.UPGRADE) : null;
        HopByHopHeaders.strip(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (upgradeProtocol != null) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, upgradeProtocol);
        }
        if (host == null || !backend.config().preserveHost()) {
            headers.remove(HttpHeaderNames.HOST); // set per server when an attempt starts
        }
        runtime.forwarded.onRequest(headers, req.protocolVersion(), clientIp, settings.tls(), host);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        return req;
    }

    /** An HTTP/1.1 request asking to switch protocols (WebSocket): Upgrade, and Connection naming it. */
    private static boolean upgradeRequested(HttpRequest req) {
        HttpHeaders h = req.headers();
        return req.protocolVersion().minorVersion() >= 1 && h.contains(HttpHeaderNames.UPGRADE)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    private void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestDone = true;
        }
        if (content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(content);
            clientKeepAlive = false; // the decoder cannot find the next request after a framing error
            giveUp(HttpResponseStatus.BAD_REQUEST, "malformed request body: " + content.decoderResult().cause());
            return;
        }
        bodyBytes += content.content().readableBytes();
        if (bodyBytes > runtime.config.limits().maxBodySize()) {
            ReferenceCountUtil.release(content);
            clientKeepAlive = false;
            giveUp(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over limits.max-body-size");
            return;
        }
        switch (state) {
            case DISCARDING -> {
                content.release();
                if (last) {
                    endExchange();
                }
            }
            case QUEUED, WAITING_CACHE, CONNECTING -> bodyQueue.add(content);
            case BUFFERING -> {
                if (bodyBytes > backend.fastCgiSite().config().maxBufferedBody()) {
                    content.release();
                    clientKeepAlive = false;
                    giveUp(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "chunked body to a FastCGI script over fastcgi.max-buffered-body");
                    return;
                }
                bodyQueue.add(content);
                if (last) {
                    bufferedBodyComplete();
                }
            }
            case STREAMING -> {
                sendBody(content);
                upstreamNeedsFlush = true;
                serverTimer.touch();
                if (last) {
                    updateClientRead();
                }
            }
            default -> content.release();
        }
    }

    /** Writes a body part upstream, keeping a copy for a retry while the body is small enough. */
    private void sendBody(HttpContent content) {
        if (replayable) {
            long size = content.content().readableBytes();
            if (replayBytes + size <= runtime.config.limits().maxReplayBody()) {
                replay.add(content.retainedDuplicate());
                replayBytes += size;
            } else {
                replayable = false;
                releaseReplay();
            }
        }
        Channel ch = upstream.channel();
        ch.write(content, ch.voidPromise());
    }

    // ---------------------------------------------------------------- choosing a server, connecting

    /** Starts an attempt: a server slot, then a pooled or new connection. */
    private void dispatch(ServerPool avoid) {
        ServerPool s = backend.acquire(hashKey, avoid);
        if (s == null) {
            if (backend.anyUp() && backend.config().maxQueue() > 0) {
                if (state != State.QUEUED) {
                    queueDeadline = System.nanoTime() + backend.config().queueTimeout().toNanos();
                }
                if (waiter.enqueue(false)) {
                    return;
                }
                giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "backend queue full (max-queue)");
            } else {
                giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server available (all down or at their limit)");
            }
            return;
        }
        useServer(s);
    }

    /** The attempt has a server and holds one of its slots: get it a connection. */
    private void useServer(ServerPool s) {
        state = State.CONNECTING;
        server = s;
        holdsSlot = true;
        UpstreamConnection idle = freshConnectionOnly ? null : s.pollIdle();
        if (idle != null) {
            attach(idle);
            return;
        }
        ChannelFuture f = s.connect(ctx.channel().eventLoop());
        if (f == null) {
            giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "server " + s.name() + " at pool.max-connections");
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
            // The attempt was abandoned while connecting; the fresh connection is not needed.
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
            attemptFailed(Failure.CONNECT, status, "connect failed: " + cause.getMessage());
        }
    }

    private void attach(UpstreamConnection connection) {
        upstream = connection;
        connection.attach(this);
        upstreamSentAt = System.nanoTime();
        upstreamAddr = server.name();
        state = State.STREAMING;
        Channel ch = connection.channel();
        if (fcgiHead != null) {
            ch.write(fcgiHead, ch.voidPromise());
        } else {
            if (!backend.config().preserveHost() || !request.headers().contains(HttpHeaderNames.HOST)) {
                request.headers().set(HttpHeaderNames.HOST, server.name());
            }
            ch.write(request, ch.voidPromise());
        }
        for (HttpContent copy : replay) {
            ch.write(copy.retainedDuplicate(), ch.voidPromise());
        }
        HttpContent part;
        while ((part = bodyQueue.poll()) != null) {
            sendBody(part);
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
            attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY,
                    "malformed response: " + response.decoderResult().cause());
            return;
        }
        int code = response.status().code();
        if (code == 101 && upgradeProtocol != null && response.headers().contains(HttpHeaderNames.UPGRADE)) {
            startSwitchingProtocols(response);
            return;
        }
        if (code < 200) {
            ReferenceCountUtil.release(response);
            if (code == 101) {
                attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY,
                        "101 Switching Protocols to a request without Upgrade");
            } else {
                skipInterimEnd = true; // 100/102/103: Ferry already answered Expect itself
            }
            return;
        }
        if (code >= 500 && server.health().countsServerErrors()) {
            server.health().onFailure("HTTP " + code);
        } else {
            server.health().onSuccess();
        }
        HttpHeaders headers = response.headers();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        if (code == 304 && staleObject != null && cacheFetcher) {
            // Our revalidation came back "not modified": the kept object is fresh again. Its body
            // follows once the 304 has ended (onResponseContent).
            revalidated = cacheFront.cache.refresh(staleObject, CacheFront.snapshot(headers), revalidatedTtl(headers));
            ReferenceCountUtil.release(response);
            return;
        }
        responseStarted = true;
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        HopByHopHeaders.strip(headers);
        if (cacheFront != null) {
            cacheResponseHead(response);
        }
        runtime.forwarded.onResponse(headers, response.protocolVersion());
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
        responseStatus = code;
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
        if (switchingProtocols) {
            content.release();
            if (last) {
                becomeTunnel();
            }
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY,
                    "malformed response body: " + content.decoderResult().cause());
            return;
        }
        if (revalidated != null) {
            content.release();
            if (last) {
                serveRevalidated();
            }
            return;
        }
        if (!responseStarted) {
            content.release();
            attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY, "response body without a response head");
            return;
        }
        if (storeBody != null) {
            copyForCache(content.content());
        }
        if (headAsGet) {
            content.release(); // the body was fetched for the cache; the client asked for the head only
            if (!last) {
                return;
            }
            content = LastHttpContent.EMPTY_LAST_CONTENT;
        } else {
            bytesSent += content.content().readableBytes();
            if (!last) {
                ctx.write(content, ctx.voidPromise());
                return;
            }
        }
        upstreamNanos = System.nanoTime() - upstreamSentAt;
        server.recordResponse(upstreamNanos);
        settings.metrics().upstream(backend.name(), server.name(), upstreamNanos);
        if (storeBody != null) {
            CachedResponse stored = cacheFront.store(cachePrimary, request.headers(), storeStatus, storeReason,
                    storeHeaders, storeBody, fetchStarted, storeDecision);
            storeBody = null;
            endCacheFetch(stored);
        }
        releaseUpstreamAfterResponse();
        releaseRequest();
        recordExchange();
        if (closeAfterResponse || !requestDone) {
            state = State.CLOSING;
            releaseInbound();
            ctx.writeAndFlush(content).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(content, ctx.voidPromise());
            endExchange();
        }
    }

    /**
     * A fetcher's response: stored if cacheable (the body is copied once as it streams to the
     * client), otherwise the key is marked hit-for-miss and the waiting list released at once, so
     * waiters go to the backend in parallel instead of one after another.
     */
    private void cacheResponseHead(HttpResponse response) {
        HttpHeaders headers = response.headers();
        if (cacheStaticAsset) {
            headers.remove(HttpHeaderNames.SET_COOKIE);
        }
        if (cacheKey != null && (method == HttpMethod.GET || headAsGet)) {
            StorePolicy.Decision d = cacheFront.decide(response, cacheStaticAsset);
            if (d.store()) {
                storeDecision = d;
                storeStatus = response.status().code();
                storeReason = response.status().reasonPhrase();
                storeHeaders = CacheFront.snapshot(headers);
                int length = headers.getInt(HttpHeaderNames.CONTENT_LENGTH, 8192);
                storeBody = UnpooledByteBufAllocator.DEFAULT.directBuffer(Math.max(16, length));
            } else {
                log.debug("{} {}: not stored ({}); hit-for-miss", method, uri, d.reason());
                cacheFront.cache.markHitForMiss(cachePrimary);
                endCacheFetch(null);
            }
        }
        if (!cacheFront.config.exposeTags()) {
            headers.remove(CacheFront.SURROGATE_KEY).remove(CacheFront.CACHE_TAGS);
        }
        if (cacheLabel != null && !cacheFront.config.header().isEmpty()) {
            headers.set(cacheFront.config.header(), cacheLabel);
        }
    }

    private void copyForCache(ByteBuf part) {
        int n = part.readableBytes();
        if (storeBody.readableBytes() + n > cacheFront.config.maxObjectBytes()) {
            storeBody.release();
            storeBody = null;
            cacheFront.cache.markHitForMiss(cachePrimary);
            endCacheFetch(null);
            return;
        }
        storeBody.writeBytes(part, part.readerIndex(), n);
    }

    /** The freshness a 304 gives: its own Cache-Control/Expires, else the configured default. */
    private long revalidatedTtl(HttpHeaders headers) {
        long ttl = Freshness.lifetimeMillis(200, CacheControl.parse(headers.getAll(HttpHeaderNames.CACHE_CONTROL)),
                headers.get(HttpHeaderNames.EXPIRES), headers.get(HttpHeaderNames.DATE),
                cacheFront.config.defaultTtl().toMillis());
        return Math.max(ttl, 0);
    }

    /** The response has fully arrived: the connection goes back to its pool if both sides allow keepalive. */
    private void releaseUpstreamAfterResponse() {
        serverTimer.stop();
        UpstreamConnection c = upstream;
        upstream = null;
        if (upstreamKeepAlive && requestDone) {
            c.release();
        } else {
            c.close();
        }
        releaseServer();
    }

    /** The 304 of a revalidation has ended: free the connection, answer from the refreshed object. */
    private void serveRevalidated() {
        releaseUpstreamAfterResponse();
        CachedResponse fresh = revalidated;
        revalidated = null;
        endCacheFetch(fresh);
        // Answer the client's own conditionals, not the validators Ferry sent upstream.
        HttpHeaders h = request.headers();
        h.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (clientIfNoneMatch != null) {
            h.set(HttpHeaderNames.IF_NONE_MATCH, clientIfNoneMatch);
        }
        if (clientIfModifiedSince != null) {
            h.set(HttpHeaderNames.IF_MODIFIED_SINCE, clientIfModifiedSince);
        }
        if (!serveCached(fresh, "HIT")) {
            giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "revalidated object was evicted at once");
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
        boolean reused = connection.previousRequests() > 0;
        attemptFailed(reused && !responseStarted ? Failure.STALE : Failure.RESET, HttpResponseStatus.BAD_GATEWAY,
                responseStarted ? "server closed the connection mid-response"
                        : "server closed the connection before responding" + (reused ? " (reused connection)" : ""));
    }

    @Override
    public void upstreamException(UpstreamConnection connection, Throwable cause) {
        if (connection != upstream) {
            return;
        }
        upstream = null;
        connection.close();
        boolean reused = connection.previousRequests() > 0;
        attemptFailed(reused && !responseStarted ? Failure.STALE : Failure.RESET, HttpResponseStatus.BAD_GATEWAY,
                "server connection error: " + cause);
    }

    // ---------------------------------------------------------------- upgrade to a tunnel

    /** A 101 to an Upgrade request: forward it, then both connections become a raw byte tunnel. */
    private void startSwitchingProtocols(HttpResponse response) {
        responseStarted = true;
        switchingProtocols = true;
        serverTimer.stop();
        server.health().onSuccess();
        CharSequence protocol = response.headers().get(HttpHeaderNames.UPGRADE);
        HopByHopHeaders.strip(response.headers());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        response.headers().set(HttpHeaderNames.UPGRADE, protocol);
        runtime.forwarded.onResponse(response.headers(), response.protocolVersion());
        ctx.write(response, ctx.voidPromise());
    }

    /**
     * After the 101 is written: the HTTP codecs and timers leave both pipelines and a
     * {@link TunnelHandler} pair relays bytes. The upstream connection is no longer pooled and its
     * request slot is given back; it stays counted as open until it closes.
     */
    private void becomeTunnel() {
        Channel client = ctx.channel();
        UpstreamConnection c = upstream;
        upstream = null;
        Channel up = c.channel();
        c.detachForTunnel();
        releaseServer();
        releaseRequest();
        state = State.CLOSING;
        serverTimer.cancel();
        clientTimer.cancel();
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        responseStatus = 101;
        recordExchange();

        ChannelPipeline cp = client.pipeline();
        long idle = runtime.config.timeouts().tunnel().toNanos();
        cp.replace(this, "tunnel", new TunnelHandler(up));
        cp.addBefore("tunnel", "tunnel-idle", new IdleStateHandler(0, 0, idle, TimeUnit.NANOSECONDS));
        cp.remove("head-timeout");
        cp.remove("http");
        ChannelPipeline upp = up.pipeline();
        upp.replace("upstream", "tunnel", new TunnelHandler(client));
        upp.remove("codec");
        releaseInbound();
        log.debug("{} {}: switched protocols; tunnelling to {}", method, uri, c);
    }

    // ---------------------------------------------------------------- endings

    /**
     * One attempt failed. Retry where it is safe — a connect failure (nothing was sent), a reused
     * connection that the server had closed (once, on a fresh connection), or for idempotent methods a
     * timeout or reset — if the body can be replayed, retries remain and the budget allows; never once
     * response bytes reached the client.
     */
    private void attemptFailed(Failure failure, HttpResponseStatus status, String reason) {
        ServerPool failed = server;
        if (failure != Failure.STALE && failed != null) {
            failed.health().onFailure(reason);
        }
        if (!responseStarted && requestRetryable(failure)) {
            log.info("{} {} -> backend={} server={}: retrying ({})", method, uri, backend, failed, reason);
            settings.metrics().retry(backend.name());
            if (failed != null) {
                failed.recordError();
            }
            endAttempt();
            releaseServer();
            if (failure == Failure.STALE) {
                staleRetried = true;
                freshConnectionOnly = true;
                dispatch(null);
            } else {
                retriesLeft--;
                dispatch(failed);
            }
            return;
        }
        giveUp(status, reason);
    }

    private boolean requestRetryable(Failure failure) {
        if (!replayable || state == State.CLOSING) {
            return false;
        }
        return switch (failure) {
            case STALE -> !staleRetried;
            case CONNECT -> retriesLeft > 0 && backend.retryBudget().tryRetry();
            case TIMEOUT, RESET -> idempotent(method) && retriesLeft > 0 && backend.retryBudget().tryRetry();
            case BAD_RESPONSE -> false;
        };
    }

    private static boolean idempotent(HttpMethod m) {
        return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
                || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

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
            headTimeout.awaitRequest();
        }
    }

    private void resetExchange() {
        responseStatus = 0;
        bytesSent = 0;
        upstreamAddr = null;
        upstreamNanos = 0;
        recorded = false;
        routeName = null;
        normalPath = null;
        request = null;
        fcgiHead = null;
        backend = null;
        hashKey = null;
        server = null;
        holdsSlot = false;
        clientKeepAlive = false;
        clientHttp10 = false;
        expectContinue = false;
        requestDone = false;
        responseStarted = false;
        skipInterimEnd = false;
        upstreamKeepAlive = false;
        closeAfterResponse = false;
        upstreamNeedsFlush = false;
        upgradeProtocol = null;
        switchingProtocols = false;
        replayable = false;
        replayBytes = 0;
        retriesLeft = 0;
        cacheFront = null;
        cachePrimary = null;
        cacheKey = null;
        cacheFetcher = false;
        cacheStaticAsset = false;
        headAsGet = false;
        bufferingScript = null;
        cacheLabel = null;
        staleObject = null;
        revalidated = null;
        clientIfNoneMatch = null;
        clientIfModifiedSince = null;
        storeDecision = null;
        storeHeaders = null;
        storeBody = null;
        staleRetried = false;
        freshConnectionOnly = false;
        bodyBytes = 0;
    }

    /** A request rejected before routing: answer and close, nothing is forwarded. */
    private void reject(HttpResponseStatus status) {
        state = State.CLOSING;
        releaseInbound();
        updateClientRead();
        FullHttpResponse res = ErrorResponses.create(ctx.alloc(), status, true);
        responseStatus = status.code();
        bytesSent = res.content().readableBytes();
        recordExchange();
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The exchange ends without an upstream response. Before any response byte went out the client
     * gets {@code status} (and the connection stays open when the rest of the request can be read
     * and dropped); after, the only honest signal left is closing the connection.
     */
    private void giveUp(HttpResponseStatus status, String reason) {
        if (!responseStarted && status.code() >= 500 && staleObject != null
                && staleObject.usableOnErrorAt(cacheFront.cache.now())) {
            CachedResponse stale = staleObject;
            staleObject = null;
            endAttempt();
            releaseServer();
            if (serveCached(stale, "HIT")) {
                cacheFront.cache.stats().countStaleOnError();
                log.warn("{} {} -> backend={} server={}: {}; served a stale copy (stale-if-error)", method, uri,
                        backend, server, reason);
                return;
            }
        }
        if (status.code() >= 500 || status.code() == 408) {
            log.warn("{} {} -> backend={} server={}: {} ({})", method, uri, backend, server,
                    responseStarted ? "aborted" : status.code(), reason);
        } else {
            log.debug("{} {}: {} ({})", method, uri, status.code(), reason);
        }
        endAttempt();
        releaseServer();
        releaseRequest();
        if (server != null && status.code() >= 500) {
            server.recordError();
        }
        if (responseStarted) {
            recordExchange();
            state = State.CLOSING;
            releaseInbound();
            ctx.flush();
            ctx.close();
            return;
        }
        responseStarted = true;
        if (!clientKeepAlive || draining || expectContinue && !requestDone) {
            reject(status);
            return;
        }
        FullHttpResponse res = ErrorResponses.create(ctx.alloc(), status, false);
        responseStatus = status.code();
        bytesSent = res.content().readableBytes();
        recordExchange();
        ctx.writeAndFlush(res, ctx.voidPromise());
        if (requestDone) {
            endExchange();
        } else {
            state = State.DISCARDING;
            dispatchInbound();
        }
    }

    private void onClientInactivity() {
        boolean waitingForServer = (state == State.CONNECTING || state == State.STREAMING || state == State.QUEUED
                || state == State.WAITING_CACHE)
                && requestDone && !responseStarted;
        if (state == State.IDLE || state == State.CLOSING || waitingForServer) {
            return; // idle keepalive has its own timer; a slow server is timeouts.server's business
        }
        if (!responseStarted) {
            clientKeepAlive = false;
            giveUp(HttpResponseStatus.REQUEST_TIMEOUT, "client sent no data within timeouts.client");
        } else {
            log.info("{} {}: client read nothing within timeouts.client; closing", method, uri);
            state = State.CLOSING;
            endAttempt();
            releaseServer();
            ctx.close();
        }
    }

    private void onServerTimeout() {
        UpstreamConnection c = upstream;
        upstream = null;
        if (c != null) {
            c.close();
        }
        attemptFailed(Failure.TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT, "no data from server within timeouts.server");
    }

    /** Lets go of the current attempt's connection (or pending connect) and its timer. */
    private void endAttempt() {
        serverTimer.stop();
        connecting = null;
        waiter.cancel();
        UpstreamConnection c = upstream;
        upstream = null;
        if (c != null) {
            c.close();
        }
    }

    private void releaseServer() {
        if (holdsSlot) {
            holdsSlot = false;
            backend.release(server);
        }
    }

    /** The request is over: drop what was kept to send or resend it, and its cache state. */
    private void releaseRequest() {
        endCache();
        HttpContent part;
        while ((part = bodyQueue.poll()) != null) {
            part.release();
        }
        releaseReplay();
        if (request != null) {
            ReferenceCountUtil.release(request);
            request = null;
        }
    }

    private void releaseReplay() {
        for (HttpContent c : replay) {
            c.release();
        }
        replay.clear();
    }

    private void releaseInbound() {
        Object msg;
        while ((msg = inbound.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    // ---------------------------------------------------------------- access log and metrics

    /** Reports the finished exchange once: metrics, then the access log line. */
    private void recordExchange() {
        if (recorded || responseStatus == 0) {
            return;
        }
        recorded = true;
        long total = System.nanoTime() - exchangeStart;
        settings.metrics().request(settings.listener(), routeName, backend == null ? null : backend.name(),
                responseStatus, total);
        if (settings.accessLog() != null) {
            settings.accessLog().log(settings.logFormat().format(this));
        }
    }

    @Override
    public String remoteAddr() {
        return clientIp;
    }

    @Override
    public String method() {
        return method == null ? "-" : method.name();
    }

    @Override
    public String uri() {
        return uri == null ? "-" : uri;
    }

    @Override
    public String protocol() {
        return clientProtocol == null ? "-" : clientProtocol;
    }

    @Override
    public int status() {
        return responseStatus;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public String header(String name) {
        return name.equals("referer") ? referer : name.equals("user-agent") ? userAgent : null;
    }

    @Override
    public String upstream() {
        return upstreamAddr;
    }

    @Override
    public long upstreamNanos() {
        return upstreamNanos;
    }

    @Override
    public long totalNanos() {
        return System.nanoTime() - exchangeStart;
    }

    @Override
    public String cacheStatus() {
        return cacheLabel;
    }

    @Override
    public String host() {
        return requestHost;
    }

    // ---------------------------------------------------------------- flow control

    /**
     * The client is read unless what was read cannot be handed on yet: a pipelined request waiting its
     * turn, body parts waiting for a connection, a body the upstream cannot take now, or an upgrade in
     * progress. Each change costs an epoll_ctl, so an ordinary exchange changes nothing; memory stays
     * bounded by one read's worth of queued input. Reading on also notices a client that leaves.
     */
    private void updateClientRead() {
        boolean read = inbound.isEmpty() && switch (state) {
            case IDLE, DISCARDING, BUFFERING -> true;
            // After an upgrade request's end come the new protocol's bytes: they wait for the 101.
            case STREAMING -> requestDone ? upgradeProtocol == null
                    : upstream != null && upstream.channel().isWritable();
            case QUEUED, WAITING_CACHE, CONNECTING -> bodyQueue.isEmpty() && (!requestDone || upgradeProtocol == null);
            case CLOSING -> false;
        };
        if (read != clientReading) {
            clientReading = read;
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void updateUpstreamRead() {
        if (upstream != null) {
            upstream.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /**
     * This connection's place in a backend's queue. {@link #wake} may come from any thread; the
     * retry runs on this connection's event loop. The state word makes waking, timing out and the
     * client leaving mutually exclusive, so a slot is never handed to a waiter that is gone.
     */
    private final class QueueWaiter implements SlotWaiter, Runnable {
        private static final int NONE = 0;
        private static final int WAITING = 1;
        private static final int WOKEN = 2;
        private final AtomicInteger phase = new AtomicInteger(NONE);
        private ScheduledFuture<?> timeout;

        boolean enqueue(boolean atFront) {
            phase.set(WAITING);
            if (!backend.enqueue(this, atFront)) {
                phase.set(NONE);
                return false;
            }
            state = State.QUEUED;
            long left = queueDeadline - System.nanoTime();
            if (timeout == null) {
                timeout = ctx.executor().schedule(this::timedOut, Math.max(0, left), TimeUnit.NANOSECONDS);
            }
            return true;
        }

        @Override
        public boolean wake() {
            if (phase.compareAndSet(WAITING, WOKEN)) {
                ctx.executor().execute(this);
                return true;
            }
            return false;
        }

        @Override
        public void run() {
            phase.compareAndSet(WOKEN, NONE);
            if (state != State.QUEUED) {
                backend.wakeOne(); // pass the chance on
                return;
            }
            ServerPool s = backend.acquire(hashKey, null);
            if (s == null) {
                if (!enqueue(true)) {
                    giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "backend queue full (max-queue)");
                }
                return;
            }
            cancelTimer();
            useServer(s);
        }

        private void timedOut() {
            timeout = null;
            if (state == State.QUEUED && phase.compareAndSet(WAITING, NONE)) {
                giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "waited timeouts.queue for a server slot");
            }
        }

        /** Leaves the queue (lazily: the entry is skipped when reached). */
        void cancel() {
            cancelTimer();
            if (phase.getAndSet(NONE) == WOKEN && backend != null) {
                backend.wakeOne();
            }
        }

        private void cancelTimer() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }
    }

    /**
     * An inactivity timeout armed lazily: activity only records a timestamp, and the one task per
     * connection re-arms itself for the remainder when it fires early, so a busy keepalive connection
     * schedules almost nothing per request and no listener is added to any write.
     */
    private abstract class InactivityTimer implements Runnable {
        long lastActivity;
        long timeoutNanos;
        private ScheduledFuture<?> future;

        void start(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
            lastActivity = System.nanoTime();
            schedule(timeoutNanos);
        }

        void touch() {
            lastActivity = System.nanoTime();
        }

        /** The connection is gone: drop the task so it does not keep this handler alive. */
        void cancel() {
            if (future != null) {
                future.cancel(false);
                future = null;
            }
        }

        final void schedule(long delayNanos) {
            if (future == null) {
                future = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public final void run() {
            future = null;
            if (!armed() || !ctx.channel().isActive()) {
                return;
            }
            long now = System.nanoTime();
            observe(now);
            long quiet = now - lastActivity;
            if (quiet < timeoutNanos) {
                schedule(timeoutNanos - quiet);
                return;
            }
            expired(now);
        }

        /** Whether the timeout applies now. */
        abstract boolean armed();

        /** A chance to count activity that leaves no timestamp (write progress). */
        void observe(long now) {
        }

        abstract void expired(long now);
    }

    /**
     * Client inactivity (timeouts.client): reads stamp {@code lastActivity}, and progress on pending
     * writes counts too, checked when the task fires, so a slow but live reader is not cut off.
     */
    private final class ClientTimer extends InactivityTimer {
        private long lastPending = -1;

        @Override
        boolean armed() {
            // Between requests the request-head timeouts apply; the next head re-arms this.
            return state != State.IDLE && state != State.CLOSING;
        }

        @Override
        void observe(long now) {
            var out = ctx.channel().unsafe().outboundBuffer();
            long pending = out == null ? 0 : out.totalPendingWriteBytes();
            if (responseStarted && pending == 0) {
                lastActivity = now; // nothing is waiting on the client; a quiet server is timeouts.server's business
            } else if (pending != lastPending && pending > 0 && lastPending >= 0) {
                lastActivity = now; // the client took some of what was written
            }
            lastPending = pending;
        }

        @Override
        void expired(long now) {
            lastActivity = now;
            onClientInactivity();
            if (armed() && ctx.channel().isActive()) {
                schedule(timeoutNanos);
            }
        }
    }

    /** Server inactivity (timeouts.server): first byte and between bytes, while an attempt runs. */
    private final class ServerTimer extends InactivityTimer {
        private boolean active;

        @Override
        void start(long timeoutNanos) {
            active = true;
            super.start(timeoutNanos);
        }

        void stop() {
            active = false;
        }

        @Override
        void cancel() {
            active = false;
            super.cancel();
        }

        @Override
        boolean armed() {
            return active;
        }

        @Override
        void expired(long now) {
            active = false;
            onServerTimeout();
        }
    }
}
