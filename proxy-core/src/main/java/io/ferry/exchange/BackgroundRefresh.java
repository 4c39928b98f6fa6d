package io.ferry.exchange;

import io.ferry.cache.CachedResponse;
import io.ferry.cache.StorePolicy;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import io.ferry.upstream.UpstreamConnection;
import io.ferry.upstream.UpstreamExchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one background fetch that refreshes an object served in grace (Varnish's grace mode,
 * stale-while-revalidate): no client waits for it. It borrows a connection like any request, reads
 * the whole response (bounded by cache.max-object-size) and stores it if it is still cacheable. Every
 * ending — stored, uncacheable, failed, timed out — ends the key's fetch so another may start.
 */
final class BackgroundRefresh implements UpstreamExchange, GenericFutureListener<Future<UpstreamConnection>>, Runnable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundRefresh.class);

    private final CacheFront front;
    private final Backend backend;
    private final Object head;
    private final HttpHeaders requestHeaders;
    private final String primary;
    private final String key;
    private final boolean isStatic;
    private final long started;
    private ServerPool server;
    private UpstreamConnection upstream;
    private Future<UpstreamConnection> connecting;
    private ScheduledFuture<?> timeout;
    private StorePolicy.Decision decision;
    private HttpResponse response;
    private ByteBuf body;
    private boolean keepAlive;
    private boolean finished;

    private BackgroundRefresh(CacheFront front, Backend backend, Object head, HttpHeaders requestHeaders, String primary,
                              String key, boolean isStatic) {
        this.front = front;
        this.backend = backend;
        this.head = head;
        this.requestHeaders = requestHeaders;
        this.primary = primary;
        this.key = key;
        this.isStatic = isStatic;
        this.started = front.cache.now();
    }

    /**
     * Starts the refresh on {@code loop} unless one for {@code key} is already running.
     *
     * @param head the request head to send: an HttpRequest (without client conditionals) or an FcgiRequest
     */
    static void start(CacheFront front, Backend backend, CharSequence hashKey, Object head, HttpHeaders requestHeaders,
                      String primary, String key, boolean isStatic, EventLoop loop) {
        if (!front.cache.startRefresh(key)) {
            ReferenceCountUtil.release(head);
            return;
        }
        BackgroundRefresh r = new BackgroundRefresh(front, backend, head, requestHeaders, primary, key, isStatic);
        ServerPool s = backend.acquire(hashKey, null);
        if (s == null) {
            r.finish(null, "no server available");
            return;
        }
        r.server = s;
        r.timeout = loop.schedule(r, backend.config().serverTimeout().toNanos(), TimeUnit.NANOSECONDS);
        UpstreamConnection idle = s.pollIdle();
        if (idle != null) {
            r.attach(idle);
            return;
        }
        Future<UpstreamConnection> f = s.open(loop, null, null); // Ferry's own request: it names no client
        if (f == null) {
            r.finish(null, "server at pool.max-connections");
            return;
        }
        r.connecting = f;
        f.addListener(r);
    }

    @Override
    public void operationComplete(Future<UpstreamConnection> f) {
        connecting = null;
        if (finished) {
            if (f.isSuccess()) {
                f.getNow().close();
            }
            return;
        }
        if (f.isSuccess()) {
            attach(f.getNow());
        } else {
            server.health().onFailure("connect failed: " + f.cause().getMessage());
            finish(null, "connect failed");
        }
    }

    private void attach(UpstreamConnection c) {
        upstream = c;
        c.attach(this);
        Channel ch = c.channel();
        if (head instanceof HttpRequest req) {
            OriginResponder.setHost(req, backend, server);
        }
        ch.write(head, ch.voidPromise());
        ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
    }

    @Override
    public void upstreamRead(UpstreamConnection connection, Object msg) {
        if (connection != upstream || finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            if (r.decoderResult().isFailure() || r.status().code() < 200) {
                ReferenceCountUtil.release(msg);
                fail("unusable response");
                return;
            }
            response = r;
            keepAlive = HttpUtil.isKeepAlive(r);
            io.ferry.http.HopByHopHeaders.strip(r.headers());
            if (isStatic) {
                r.headers().remove(HttpHeaderNames.SET_COOKIE);
            }
            decision = front.decide(r, front.cacheControl(r.headers()), isStatic);
            if (decision.store()) {
                body = UnpooledByteBufAllocator.DEFAULT.directBuffer(1024);
            }
            server.health().onSuccess();
        }
        if (msg instanceof HttpContent content) {
            if (body != null) {
                int n = content.content().readableBytes();
                if (body.readableBytes() + n > front.config.maxObjectBytes()) {
                    body.release();
                    body = null;
                } else {
                    body.writeBytes(content.content(), content.content().readerIndex(), n);
                }
            }
            boolean last = content instanceof LastHttpContent;
            content.release();
            if (last) {
                complete();
            }
        }
    }

    private void complete() {
        UpstreamConnection c = upstream;
        upstream = null;
        if (keepAlive) {
            c.release();
        } else {
            c.close();
        }
        CachedResponse stored = null;
        if (body != null && response != null) {
            List<Map.Entry<String, String>> headers = front.snapshot(response.headers(),
                    front.cacheControl(response.headers()));
            stored = front.store(primary, requestHeaders, response.status().code(), response.status().reasonPhrase(),
                    headers, response.headers().getAll(HttpHeaderNames.AGE), body, started, decision);
            body = null;
        }
        finish(stored, stored != null ? "stored" : "not cacheable");
    }

    private void fail(String reason) {
        UpstreamConnection c = upstream;
        upstream = null;
        if (c != null) {
            c.close();
        }
        finish(null, reason);
    }

    /** The refresh timed out (timeouts.server). */
    @Override
    public void run() {
        timeout = null;
        if (!finished) {
            server.health().onFailure("background refresh timed out");
            fail("timed out");
        }
    }

    private void finish(CachedResponse stored, String reason) {
        if (finished) {
            return;
        }
        finished = true;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (body != null) {
            body.release();
            body = null;
        }
        if (server != null) {
            backend.release(server);
        }
        ReferenceCountUtil.release(head);
        front.cache.fetchDone(key, stored);
        log.debug("background refresh of {}: {}", key, reason);
    }

    @Override
    public void upstreamReadComplete(UpstreamConnection connection) {
    }

    @Override
    public void upstreamInactive(UpstreamConnection connection) {
        if (connection == upstream) {
            upstream = null;
            finish(null, "server closed the connection");
        }
    }

    @Override
    public void upstreamException(UpstreamConnection connection, Throwable cause) {
        if (connection == upstream) {
            server.health().onFailure(cause.toString());
            fail(cause.toString());
        }
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamConnection connection) {
    }

    @Override
    public void upstreamTimeout(UpstreamConnection connection) {
        // never armed: the refresh has its own deadline for the whole fetch (run)
    }
}
