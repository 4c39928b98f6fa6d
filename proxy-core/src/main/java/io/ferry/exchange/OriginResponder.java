package io.ferry.exchange;

import io.ferry.exchange.Retries.Failure;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ConnectionWaiter;
import io.ferry.upstream.ServerPool;
import io.ferry.upstream.UpstreamConnection;
import io.ferry.upstream.UpstreamExchange;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The origin answers: a server slot (balanced, or queued), a pooled or new keepalive connection on
 * the client's event loop, the request out and the response back, streamed both ways with
 * backpressure. Failed attempts go to {@link Retries}. HTTP/1.1 servers and FastCGI applications
 * share all of it: the FastCGI codec presents the same HTTP objects, only the head sent differs.
 *
 * <p>The upstream is read only while the client can take more; the client's body is read only while
 * the upstream can (see {@link #wantsInput}).
 */
final class OriginResponder implements Responder, UpstreamExchange, ConnectionWaiter,
        GenericFutureListener<Future<UpstreamConnection>> {
    private static final Logger log = LoggerFactory.getLogger(OriginResponder.class);

    private enum State {
        /** Every server is at max-conns: waiting in the backend's queue for a slot. */
        QUEUED,
        /** Server chosen, waiting for a connection; body parts are queued. */
        CONNECTING,
        /** Connection attached: request body and response stream through. */
        STREAMING,
        /** Finished, failed over to a local answer, or released. */
        DONE
    }

    private final Exchange ex;
    private final Backend backend;
    private final Retries retries;
    private State state = State.CONNECTING;
    private ServerPool server;
    private boolean holdsSlot;
    private UpstreamConnection upstream;
    private Future<UpstreamConnection> connecting;
    private QueueSlot queueSlot;
    /** A retry waiting out its turn-around before trying the same server again. */
    private ScheduledFuture<?> turnaround;
    private boolean upstreamKeepAlive;
    private boolean needsFlush;
    /** A 100/102/103 from the server is dropped, up to its end (Ferry answers Expect itself). */
    private boolean skipInterimEnd;
    private boolean switchingProtocols;
    /** The final response head went to the exchange: body parts may follow. */
    private boolean headPassed;
    private long sentAt;
    /** Holding a slot, waiting on this loop for a connection (see {@link ServerPool#awaitConnection}). */
    private boolean waitingForConnection;

    OriginResponder(Exchange ex) {
        this.ex = ex;
        this.backend = ex.ctx.backend;
        this.retries = new Retries(ex.ctx.backend);
    }

    @Override
    public void respond(Exchange exchange) {
        dispatch(null, true);
    }

    private void enqueue() {
        if (queueSlot == null) {
            queueSlot = new QueueSlot(this, backend, ex.client.eventLoop(), backend.config().queueTimeout().toNanos());
        }
        if (queueSlot.enqueue(false)) {
            state = State.QUEUED;
        } else {
            ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "backend queue full (max-queue)");
        }
    }

    ServerPool server() {
        return server;
    }

    /**
     * Starts an attempt: a server slot, then a pooled or new connection. While others wait in the
     * backend's queue a new request joins its end instead of taking a slot past them (first come, first
     * served: under overload the oldest requests are served, not starved into timeouts.queue); the
     * first waiter still alive is woken in case a slot is free now.
     */
    private void dispatch(ServerPool avoid, boolean newcomer) {
        if (newcomer && backend.queueLength() > 0 && backend.config().maxQueue() > 0 && backend.anyUp()) {
            enqueue();
            backend.wakeOne();
            return;
        }
        ServerPool s = backend.acquire(ex.ctx.hashKey, avoid, ex.ctx.stickyServer);
        if (s != null) {
            useServer(s);
        } else if (backend.anyUp() && backend.config().maxQueue() > 0) {
            enqueue();
            if (state == State.QUEUED) {
                acquireAfterQueueing(avoid);
            }
        } else {
            ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "no server available (all down or at their limit)");
        }
    }

    /** Woken in the queue, on the client's loop: take a slot, or queue again at the front. */
    void retryFromQueue() {
        if (state != State.QUEUED) {
            backend.wakeOne(); // pass the chance on
            return;
        }
        ServerPool s = backend.acquire(ex.ctx.hashKey, null, ex.ctx.stickyServer);
        if (s == null) {
            if (!queueSlot.enqueue(true)) {
                ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "backend queue full (max-queue)");
                return;
            }
            acquireAfterQueueing(null);
            return;
        }
        queueSlot.cancelTimer();
        useServer(s);
    }

    /**
     * A slot freed between the failed acquire and joining the queue woke nobody (the queue looked
     * empty to its release): look once more now that the queue holds this request, and leave it if
     * that finds one. A wake-up that came meanwhile is passed on by {@link QueueSlot#cancel}.
     */
    private void acquireAfterQueueing(ServerPool avoid) {
        ServerPool s = backend.acquire(ex.ctx.hashKey, avoid, ex.ctx.stickyServer);
        if (s != null) {
            queueSlot.cancel();
            useServer(s);
        }
    }

    /** Waiting in the backend's queue: nothing was sent to any server yet. */
    boolean queued() {
        return state == State.QUEUED;
    }

    void queueTimedOut() {
        if (state == State.QUEUED) {
            ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "waited timeouts.queue for a server slot");
        }
    }

    /** The attempt has a server and holds one of its slots: get it a connection. */
    private void useServer(ServerPool s) {
        state = State.CONNECTING;
        server = s;
        holdsSlot = true;
        UpstreamConnection idle = retries.freshConnectionOnly() ? null : s.pollIdle();
        if (idle != null) {
            attach(idle);
            return;
        }
        if (!s.mayConnect() && !s.multiplexed()) {
            waitingForConnection = true; // pool.max-connecting: the next connection freed or attempt finished
            s.awaitConnection(this);
            return;
        }
        openConnection(s);
    }

    @Override
    public void connectionReady(UpstreamConnection connection) {
        if (!waitingForConnection || state != State.CONNECTING) {
            if (connection != null) {
                connection.release(); // not wanted any more: back to the pool (or the next waiter)
            }
            return;
        }
        waitingForConnection = false;
        if (connection != null && !retries.freshConnectionOnly()) {
            attach(connection);
        } else {
            if (connection != null) {
                connection.release();
            }
            openConnection(server);
        }
    }

    private void openConnection(ServerPool s) {
        // Ferry's own address only when a PROXY header names it: asked of a client channel, it stays cached there
        Future<UpstreamConnection> f = s.open(ex.client.eventLoop(), ex.clientAddress(), ex.client::localAddress);
        if (f == null) {
            ex.giveUp(HttpResponseStatus.SERVICE_UNAVAILABLE, "server " + s.name() + " at pool.max-connections");
            return;
        }
        connecting = f;
        if (f.isDone()) {
            operationComplete(f);
        } else {
            f.addListener(this);
        }
    }

    /** Completion of an upstream connect (or of opening an HTTP/2 stream). */
    @Override
    public void operationComplete(Future<UpstreamConnection> f) {
        if (f != connecting) {
            // The attempt was abandoned while connecting; the fresh connection is not needed.
            if (f.isSuccess()) {
                f.getNow().close();
            }
            return;
        }
        connecting = null;
        if (f.isSuccess()) {
            attach(f.getNow());
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
        sentAt = System.nanoTime();
        ex.record.upstream = server.name();
        state = State.STREAMING;
        Channel ch = connection.channel();
        if (ex.ctx.fcgiHead != null) {
            ch.write(ex.ctx.fcgiHead, ch.voidPromise());
        } else {
            setHost(ex.ctx.request, backend, server);
            ch.write(ex.ctx.request, ch.voidPromise());
        }
        ex.body.sendAll(ch);
        ch.flush();
        needsFlush = false;
        connection.startServerTimer(backend.config().serverTimeout().toNanos());
        ex.client.inputDemandChanged();
        clientWritabilityChanged();
    }

    /** The Host a server gets: the client's where the backend preserves it, else the server's own name. */
    static void setHost(HttpRequest request, Backend backend, ServerPool server) {
        if (!backend.config().preserveHost() || !request.headers().contains(HttpHeaderNames.HOST)) {
            request.headers().set(HttpHeaderNames.HOST, server.name());
        }
    }

    // ---------------------------------------------------------------- the request body

    /** A body part of the client's request: sent on, or queued until there is a connection. */
    void onRequestContent(HttpContent content, boolean last) {
        if (state != State.STREAMING) {
            ex.body.queue(content);
            return;
        }
        ex.body.send(content, upstream.channel());
        needsFlush = true;
        upstream.touch();
        if (last) {
            ex.client.inputDemandChanged();
        }
    }

    /** Upstream writes from one client read go out together. */
    void flushUpstream() {
        if (needsFlush && upstream != null) {
            needsFlush = false;
            upstream.channel().flush();
        }
    }

    /**
     * Whether the client's input can be handed on now: a body the upstream can take, or a queue of
     * parts still empty. After an upgrade request's end come the new protocol's bytes: they wait for the 101.
     */
    boolean wantsInput() {
        return switch (state) {
            case STREAMING -> ex.requestDone ? ex.ctx.upgradeProtocol == null
                    : upstream != null && upstream.channel().isWritable();
            case QUEUED, CONNECTING -> ex.body.nothingQueued() && (!ex.requestDone || ex.ctx.upgradeProtocol == null);
            case DONE -> true;
        };
    }

    /** The upstream is read only while the client can take more. */
    void clientWritabilityChanged() {
        if (upstream != null) {
            upstream.channel().config().setAutoRead(ex.client.isWritable());
        }
    }

    // ---------------------------------------------------------------- the response

    @Override
    public void upstreamRead(UpstreamConnection connection, Object msg) {
        if (connection != upstream) {
            ReferenceCountUtil.release(msg);
            return;
        }
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
        if (code == 101 && ex.ctx.upgradeProtocol != null && response.headers().contains(HttpHeaderNames.UPGRADE)) {
            switchingProtocols = true;
            upstream.stopServerTimer();
            server.health().onSuccess();
            ex.onSwitchingProtocols(response);
            return;
        }
        if (code < 200) {
            if (code == 101) {
                attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY,
                        "101 Switching Protocols to a request without Upgrade");
                return;
            }
            skipInterimEnd = true;
            if (code != 100) { // Ferry answers Expect: 100-continue itself; 102, 103 Early Hints … go on
                ex.onInterim(response);
            }
            return;
        }
        if (code >= 500 && server.health().countsServerErrors()) {
            server.health().onFailure("HTTP " + code);
        } else {
            server.health().onSuccess();
        }
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        headPassed = true;
        ex.onResponseHead(response);
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (skipInterimEnd) {
            content.release();
            skipInterimEnd = !last;
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
        if (!headPassed) {
            content.release();
            attemptFailed(Failure.BAD_RESPONSE, HttpResponseStatus.BAD_GATEWAY, "response body without a response head");
            return;
        }
        if (!last) {
            ex.onResponseBody(content);
            return;
        }
        responseComplete();
        ex.onResponseEnd((LastHttpContent) content);
    }

    /** The response has fully arrived: timings recorded, the connection back to its pool if both sides allow keepalive. */
    private void responseComplete() {
        long nanos = System.nanoTime() - sentAt;
        ex.record.upstreamNanos = nanos;
        server.recordResponse(nanos);
        ex.settings.metrics().upstream(backend.name(), server.name(), nanos);
        UpstreamConnection c = upstream;
        upstream = null;
        if (upstreamKeepAlive && ex.requestDone) {
            c.release();
        } else {
            c.close();
        }
        releaseSlot();
        state = State.DONE;
    }

    /**
     * After the 101 has ended: the connection is no longer pooled and its request slot is given back;
     * it stays counted as open until it closes.
     */
    private void becomeTunnel() {
        UpstreamConnection c = upstream;
        upstream = null;
        releaseSlot();
        state = State.DONE;
        log.debug("{} {}: switched protocols; tunnelling to {}", ex.ctx.method, ex.ctx.uri, c);
        c.tunnelTo(ex.onTunnel(c.channel()));
    }

    @Override
    public void upstreamReadComplete(UpstreamConnection connection) {
        if (connection == upstream) {
            ex.client.flush();
        }
    }

    @Override
    public void upstreamWritabilityChanged(UpstreamConnection connection) {
        if (connection == upstream) {
            ex.client.inputDemandChanged();
        }
    }

    @Override
    public void upstreamInactive(UpstreamConnection connection) {
        if (connection != upstream) {
            return;
        }
        upstream = null;
        boolean reused = connection.previousRequests() > 0;
        attemptFailed(reused && !ex.responseStarted ? Failure.STALE : Failure.RESET, HttpResponseStatus.BAD_GATEWAY,
                ex.responseStarted ? "server closed the connection mid-response"
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
        attemptFailed(reused && !ex.responseStarted ? Failure.STALE : Failure.RESET, HttpResponseStatus.BAD_GATEWAY,
                "server connection error: " + cause);
    }

    @Override
    public void upstreamTimeout(UpstreamConnection connection) {
        if (connection != upstream) {
            return;
        }
        upstream = null;
        connection.close();
        attemptFailed(Failure.TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT, "no data from server within timeouts.server");
    }

    // ---------------------------------------------------------------- failures and endings

    /** One attempt failed: again where {@link Retries} allows it and no response byte reached the client. */
    private void attemptFailed(Failure failure, HttpResponseStatus status, String reason) {
        ServerPool failed = server;
        if (failure != Failure.STALE && failed != null) {
            failed.health().onFailure(reason);
        }
        ex.note("attempt on " + failed + " failed: " + reason);
        if (!ex.responseStarted && retries.tryAgain(failure, ex.ctx.method, ex.body.replayable())) {
            log.info("{} {} -> backend={} server={}: retrying ({})", ex.ctx.method, ex.ctx.uri, backend, failed, reason);
            ex.settings.metrics().retry(backend.name());
            if (failed != null) {
                failed.recordError();
            }
            endAttempt();
            if (failure == Failure.STALE) {
                dispatch(null, false); // at once, on a fresh connection
            } else {
                retryAvoiding(failed);
            }
            return;
        }
        ex.giveUp(status, reason);
    }

    /**
     * Retries on another server if there is one. When the failed one is all there is (one server, or
     * the rest down), the retry waits a turn-around of min(connect timeout, 1 s) first, as HAProxy does,
     * so a server that is restarting (php-fpm, a redeploy) gets a moment instead of an instant refusal.
     */
    private void retryAvoiding(ServerPool failed) {
        ServerPool s = backend.acquire(ex.ctx.hashKey, failed, ex.ctx.stickyServer);
        if (s == null) {
            dispatch(failed, false); // nothing available: queue, or 503
        } else if (s != failed) {
            useServer(s);
        } else {
            // The slot is kept through the wait, so nobody else is woken for it and nothing is re-acquired.
            state = State.CONNECTING;
            server = s;
            holdsSlot = true;
            long delay = Math.min(backend.config().connectTimeout().toMillis(), 1000);
            turnaround = ex.client.eventLoop().schedule(() -> {
                turnaround = null;
                useServer(s);
            }, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Counts a 5xx Ferry answers in this origin's place against the server that caused it. */
    void recordError(HttpResponseStatus status) {
        if (server != null && status.code() >= 500) {
            server.recordError();
        }
    }

    /** Lets go of the current attempt: its connection (or pending connect), queue place and slot. */
    private void endAttempt() {
        connecting = null;
        if (waitingForConnection) {
            waitingForConnection = false;
            server.cancelWait(this);
        }
        if (turnaround != null) {
            turnaround.cancel(false);
            turnaround = null;
        }
        if (queueSlot != null) {
            queueSlot.cancel();
        }
        UpstreamConnection c = upstream;
        upstream = null;
        if (c != null) {
            c.close();
        }
        releaseSlot();
    }

    private void releaseSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            backend.release(server);
        }
    }

    @Override
    public void release() {
        endAttempt();
        state = State.DONE;
    }
}
