package io.ferry.exchange;

import io.ferry.cache.CachedResponse;
import io.ferry.http.HopByHopHeaders;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response, driven through two ordered lists of phases that the runtime holds
 * ({@link ProxyRuntime#requestPhases}, {@link ProxyRuntime#responsePhases}). {@link #start} runs the
 * request phases — client identity, validation, routing, invalidation, cache policy, FastCGI mapping,
 * cache lookup — each of which may answer, make the exchange wait, or let the next one run; after the
 * last, the origin gets the request. On the way back each response phase sees the head (and may take
 * the response for itself), the body parts and the end, before the client does. What the phases learn
 * about the request is its {@link RequestContext}.
 *
 * <p>The exchange owns its own state and nothing of the connection: the front end hands it the
 * request head and body parts and asks what input it can take ({@link #wantsInput}); the exchange
 * answers through its {@link ClientStream}. Everything runs on the client's event loop.
 */
public final class Exchange {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /** Where the exchange stands; the client's input is handled accordingly. */
    enum Stage {
        /** Running the request phases. */
        STARTED,
        /** Reading a chunked body whole before a FastCGI script runs. */
        BUFFERING,
        /** A cache miss whose fetch another exchange is making. */
        WAITING_CACHE,
        /** The origin has it: queued, connecting or streaming. */
        FORWARDING,
        /** Answered, tunnelled or abandoned: nothing more happens. */
        DONE
    }

    final ClientStream client;
    final ProxySettings settings;
    final ProxyRuntime runtime;
    final ExchangeRecord record;
    final RequestBody body;
    /** What the request phases learn about the request. */
    final RequestContext ctx = new RequestContext();
    private Stage stage = Stage.STARTED;
    boolean requestDone;
    boolean responseStarted;
    private CacheLookup cache;
    private ScriptMapping script;
    private OriginResponder origin;
    /** The response phase that took the origin's response at its head (the cache after a 304), or null. */
    private ResponsePhase takenBy;
    /** Ferry's own exchange (a background refresh): not reported as a client's request. */
    private boolean subrequest;

    /** The listener the request came in on, in the exchange's runtime. */
    private final ProxyRuntime.Listener listener;
    /** The address of the connection's peer (after a PROXY protocol header): what X-Forwarded-For gets. */
    private final String peerIp;
    /** The protocol the request came in. */
    private HttpVersion received;

    public Exchange(ClientStream client, ProxySettings settings, ProxyRuntime runtime, String clientIp) {
        this.client = client;
        this.settings = settings;
        this.runtime = runtime;
        this.listener = runtime.listener(settings.listener());
        this.peerIp = clientIp;
        this.record = new ExchangeRecord(clientIp);
        this.body = new RequestBody(runtime.config.limits().maxReplayBody());
    }

    /**
     * The client as logs, ACLs, source hashing and CGI see it: the connection's peer (or the address its
     * PROXY protocol header named), unless real-ip found the client behind trusted proxies.
     */
    InetSocketAddress clientAddress() {
        return ctx.realClient != null ? ctx.realClient : client.remoteAddress();
    }

    /** Apache's SSL_CLIENT_VERIFY on a listener that asks for client certificates, else null. */
    String clientVerify() {
        if (!client.tls() || !listener.verifiesClients()) {
            return null;
        }
        return ctx.clientSubject != null ? "SUCCESS" : "NONE";
    }

    /** Notes a decision for the live request log, when someone watches it (one check otherwise). */
    void note(String decision) {
        if (runtime.live != null && runtime.live.active()) {
            record.note(decision);
        }
    }

    /** Whether the live request log is watched (to skip building a note's text otherwise). */
    boolean watched() {
        return runtime.live != null && runtime.live.active();
    }

    ProxyRuntime.Listener listener() {
        return listener;
    }

    /** The request as the rule engine sees it, made on first use. */
    RuleFacts ruleFacts() {
        if (ctx.ruleFacts == null) {
            ctx.ruleFacts = new RuleFacts(this, ctx);
        }
        return ctx.ruleFacts;
    }

    String peerIp() {
        return peerIp;
    }

    HttpVersion receivedVersion() {
        return received;
    }

    /** The request head arrived: the request phases run until one answers or waits; then the origin. */
    public void start(HttpRequest req) {
        ctx.request = req;
        ctx.method = req.method();
        received = client.version(req);
        record.request(req, received.text(), settings.accessLog() != null);
        if (runtime.esiAnywhere && ctx.esiDepth == 0) {
            EsiAssembly.keepClientCredentials(ctx, req.headers());
        }
        for (RequestPhase phase : runtime.requestPhases) {
            if (phase.onRequest(this, ctx) != Next.CONTINUE) {
                return;
            }
        }
        forward();
    }

    /**
     * A phase that returned WAIT is done waiting and let the request through: the phases after it run,
     * then the origin — unless the exchange ended meanwhile (the client left).
     */
    void resumeAfter(RequestPhase waited) {
        if (stage != Stage.STARTED) {
            return;
        }
        RequestPhase[] phases = runtime.requestPhases;
        int i = 0;
        while (phases[i] != waited) {
            i++;
        }
        for (i++; i < phases.length; i++) {
            if (phases[i].onRequest(this, ctx) != Next.CONTINUE) {
                return;
            }
        }
        forward();
    }

    boolean waitingInPhases() {
        return stage == Stage.STARTED;
    }

    /**
     * The background refresh of an object served in grace: an exchange of Ferry's own on a {@link
     * SubrequestStream}, sent through the same origin path as any request (queue, connection limits,
     * retries, passive health, server timeout); its cache part ({@code cache}, a fetch of the key) stores
     * what comes back and ends the key's fetch. It is not logged as a client request.
     */
    static void startRefresh(Exchange original, HttpRequest head, java.util.function.Function<Exchange, CacheLookup> cache) {
        Exchange r = new Exchange(new SubrequestStream(original.client), original.settings, original.runtime,
                original.peerIp);
        r.subrequest = true;
        RequestContext o = original.ctx;
        RequestContext c = r.ctx;
        c.request = head;
        c.method = head.method();
        c.uri = o.uri;
        c.host = o.host;
        c.normalPath = o.normalPath;
        c.route = o.route;
        c.backend = o.backend;
        c.hashKey = o.hashKey;
        c.fcgiHead = o.fcgiHead;
        r.received = HttpVersion.HTTP_1_1;
        r.record.request(head, r.received.text(), r.settings.accessLog() != null);
        r.record.uri(c.uri);
        r.record.route = o.route.name();
        r.record.backend = c.backend.name();
        c.backend.retryBudget().onRequest();
        r.cache = cache.apply(r);
        r.forward();
        r.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** The cache's part of this exchange begins (a cached route). */
    CacheLookup startCache(CacheLookup lookup) {
        cache = lookup;
        return lookup;
    }

    /** The cache of this instance has no part in the exchange after all (a fleet peer owns the URL). */
    void dropCache() {
        if (cache != null) {
            cache.end();
            cache = null;
        }
    }

    /** The cache's part of this exchange, or null on an uncached route. */
    CacheLookup cache() {
        return cache;
    }

    /** The FastCGI mapping of a script request: it goes on, waits for its whole body, or was answered. */
    Next mapFastCgi(ScriptMapping mapping) {
        script = mapping;
        return mapping.prepare();
    }

    /** Hands the exchange to the origin. */
    void forward() {
        stage = Stage.FORWARDING;
        client.continueRequest();
        origin = new OriginResponder(this);
        origin.respond(this);
        client.inputDemandChanged();
    }

    void respondWith(Responder responder) {
        responder.respond(this);
    }

    /** A stored object answers, labelled HIT; false when its body was evicted meanwhile. */
    boolean serveFromCache(CachedResponse object) {
        CachedResponder r = CachedResponder.of(runtime.cache, object, "HIT");
        if (r == null) {
            return false;
        }
        respondWith(r);
        return true;
    }

    void waitForCache() {
        stage = Stage.WAITING_CACHE;
        client.inputDemandChanged();
    }

    /** A chunked body for a FastCGI script is read whole before the script runs. */
    void bufferBody() {
        stage = Stage.BUFFERING;
        client.continueRequest();
    }

    // ---------------------------------------------------------------- the request body

    /** A part of the request body (ownership passes); the front end has checked framing and size. */
    public void onRequestContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestDone = true;
        }
        switch (stage) {
            case FORWARDING -> origin.onRequestContent(content, last);
            case BUFFERING -> {
                body.queue(content);
                if (!script.fits(body.received())) {
                    giveUp(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "chunked body to a FastCGI script over fastcgi.max-buffered-body", true);
                } else if (last) {
                    script.bodyComplete(body.received());
                    forward();
                }
            }
            case STARTED, WAITING_CACHE -> body.queue(content);
            case DONE -> content.release();
        }
    }

    /** The request body broke its framing or limits: answered with {@code status}, the connection closed. */
    public void rejectRequestBody(HttpResponseStatus status, String reason) {
        giveUp(status, reason, true);
    }

    /** Whether the client's input can be handed on now (else the front end stops reading it). */
    public boolean wantsInput() {
        return switch (stage) {
            case BUFFERING, DONE -> true;
            case FORWARDING -> origin.wantsInput();
            case STARTED, WAITING_CACHE -> body.nothingQueued() && (!requestDone || ctx.upgradeProtocol == null);
        };
    }

    /** The end of one read of client input: writes upstream go out together. */
    public void flushUpstream() {
        if (origin != null) {
            origin.flushUpstream();
        }
    }

    public void clientWritabilityChanged() {
        if (origin != null) {
            origin.clientWritabilityChanged();
        }
    }

    public boolean responseStarted() {
        return responseStarted;
    }

    // ---------------------------------------------------------------- the response phases

    /**
     * A 1xx interim response (102 Processing, 103 Early Hints): forwarded before the final response
     * (RFC 9110 §15.2), never stored, its own object so none of its fields reach the final response.
     */
    void onInterim(HttpResponse interim) {
        HopByHopHeaders.strip(interim.headers());
        runtime.forwarded.onResponse(interim.headers(), interim.protocolVersion());
        client.sendInterim(interim);
    }

    /** The response phases see the head in order, then it goes to the client — unless a phase took it. */
    void onResponseHead(HttpResponse response) {
        for (ResponsePhase phase : runtime.responsePhases) {
            Next next = phase.onHead(this, response);
            if (next == Next.ANSWERED) {
                takenBy = phase;
                ReferenceCountUtil.release(response);
                return;
            }
            if (next == Next.WAIT) { // the phase keeps the head and answers later (ESI assembly)
                responseStarted = true; // the origin answered: no retry, no second response
                return;
            }
        }
        responseStarted = true;
        record.status = response.status().code();
        client.sendHead(response, false);
    }

    void onResponseBody(HttpContent content) {
        if (takenBy != null) {
            content.release();
            return;
        }
        HttpContent part = content;
        for (ResponsePhase phase : runtime.responsePhases) {
            part = phase.onBody(this, part);
            if (part == null) {
                return; // held back by the phase, which released it (or gave up the exchange)
            }
        }
        if (stage == Stage.DONE) {
            part.release(); // a phase gave the exchange up while passing the part on
            return;
        }
        record.bytesSent += part.content().readableBytes();
        client.sendBody(part);
    }

    /** The last part arrived (the origin has let go of its connection): the phases end, the log, the client. */
    void onResponseEnd(LastHttpContent last) {
        if (takenBy != null) {
            last.release();
            takenBy.onTakenResponseEnd(this);
            return;
        }
        LastHttpContent end = last;
        for (ResponsePhase phase : runtime.responsePhases) {
            end = phase.onEnd(this, end);
            if (end == null) {
                return; // the phase that kept the head answers when it is ready
            }
        }
        if (stage == Stage.DONE) {
            end.release(); // a phase gave the exchange up at the end
            return;
        }
        record.bytesSent += end.content().readableBytes();
        finish(true);
        client.sendEnd(end);
    }

    /**
     * A response a phase composes (ESI assembly) begins: the head goes out; parts follow with {@link
     * #sendComposed} and {@link #endComposed}. The head has its edge headers already.
     */
    void beginComposed(HttpResponse head) {
        responseStarted = true;
        record.status = head.status().code();
        client.sendHead(head, true);
    }

    /** A head a phase kept goes out after all, as it came (a body too large to be an ESI template). */
    void releaseHeldHead(HttpResponse head) {
        record.status = head.status().code();
        client.sendHead(head, false);
    }

    /** A part of a composed response (ownership passes); dropped when the exchange has ended. */
    void sendComposed(io.netty.buffer.ByteBuf part) {
        if (stage == Stage.DONE) {
            part.release();
            return;
        }
        record.bytesSent += part.readableBytes();
        client.sendBody(new io.netty.handler.codec.http.DefaultHttpContent(part));
    }

    /** The composed response is complete. */
    void endComposed() {
        if (stage == Stage.DONE) {
            return;
        }
        finish(true);
        client.sendEnd(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** Whether the exchange has ended (answered, abandoned or failed). */
    boolean ended() {
        return stage == Stage.DONE;
    }

    /**
     * An ESI include: an exchange of Ferry's own for {@code request} through every phase (rules, route,
     * cache: its own object, coalesced, passed or purged like any other), answered into {@code into}.
     */
    static Exchange startFragment(Exchange page, HttpRequest request, EsiFragment into) {
        Exchange f = new Exchange(into, page.settings, page.runtime, page.peerIp);
        f.subrequest = true;
        f.ctx.esiDepth = page.ctx.esiDepth + 1;
        f.ctx.esiBudget = page.ctx.esiBudget;
        f.ctx.clientCookie = page.ctx.clientCookie;
        f.ctx.clientAuthorization = page.ctx.clientAuthorization;
        f.start(request);
        if (f.stage != Stage.DONE) {
            f.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        return f;
    }

    void onSwitchingProtocols(HttpResponse response) {
        responseStarted = true;
        CharSequence protocol = response.headers().get(HttpHeaderNames.UPGRADE);
        HopByHopHeaders.strip(response.headers());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        response.headers().set(HttpHeaderNames.UPGRADE, protocol);
        runtime.forwarded.onResponse(response.headers(), response.protocolVersion());
        client.sendSwitchingProtocols(response);
    }

    /** The 101 has ended: the exchange is over, the client's end of the tunnel is returned. */
    Channel onTunnel(Channel upstream) {
        record.status = 101;
        finish(true);
        return client.becomeTunnel(upstream, runtime.config.timeouts().tunnel().toNanos());
    }

    /** A complete answer Ferry made (an error, a purge). */
    void sendFull(FullHttpResponse response, boolean mustClose) {
        addEdgeHeaders(response);
        responseStarted = true;
        record.status = response.status().code();
        finish(true);
        client.sendFull(response, mustClose);
    }

    /** An answer from Ferry's side (a hit, a file): the rest of the request body, if any, may be dropped. */
    void sendLocal(HttpResponse head, Object bodyPart, Object last) {
        addEdgeHeaders(head);
        responseStarted = true;
        record.status = head.status().code();
        finish(true);
        client.sendHead(head, true);
        if (bodyPart != null) {
            client.sendBody(bodyPart);
        }
        client.sendEnd(last);
    }

    private static final io.netty.util.AsciiString STRICT_TRANSPORT_SECURITY =
            io.netty.util.AsciiString.cached("strict-transport-security");

    /**
     * What every response head gets on its way to the client, whoever made it (backend, cache, file,
     * Ferry): the request ID echoed, then the response rules (rules.response).
     */
    private void applyResponseRules(HttpResponse response) {
        if (ctx.requestId != null && runtime.requestId.echo()) {
            response.headers().set(runtime.requestId.header(), ctx.requestId);
        }
        if (!runtime.responseRules.isEmpty() && ctx.method != null && ctx.uri != null) {
            runtime.responseRules.apply(ruleFacts(), ruleFacts().response(response), response.headers());
        }
    }

    /** Strict-Transport-Security on a TLS listener that sets it, unless the origin chose its own; the response rules. */
    void addEdgeHeaders(HttpResponse response) {
        applyResponseRules(response);
        if (client.tls()) {
            String hsts = listener.hsts();
            if (hsts != null && !response.headers().contains(STRICT_TRANSPORT_SECURITY)) {
                response.headers().set(STRICT_TRANSPORT_SECURITY, hsts);
            }
        }
    }

    // ---------------------------------------------------------------- endings

    void giveUp(HttpResponseStatus status, String reason) {
        giveUp(status, reason, false);
    }

    /**
     * The exchange ends without an origin response. Before any response byte the client gets {@code
     * status} (or a stale copy, stale-if-error); after, the only honest signal left is cutting the stream.
     */
    void giveUp(HttpResponseStatus status, String reason, boolean mustClose) {
        if (stage == Stage.DONE) {
            return;
        }
        note("gave up: " + status.code() + " (" + reason + ")");
        if (!responseStarted && status.code() >= 500 && cache != null && cache.serveStaleOnError()) {
            log.warn("{} {} -> backend={} server={}: {}; served a stale copy (stale-if-error)", ctx.method, ctx.uri,
                    ctx.backend, server(), reason);
            return;
        }
        if (status.code() >= 500 || status.code() == 408) {
            log.warn("{} {} -> backend={} server={}: {} ({})", ctx.method, ctx.uri, ctx.backend, server(),
                    responseStarted ? "aborted" : status.code(), reason);
        } else {
            log.debug("{} {}: {} ({})", ctx.method, ctx.uri, status.code(), reason);
        }
        if (origin != null) {
            origin.recordError(status);
        }
        if (responseStarted) {
            finish(true);
            client.abort();
            return;
        }
        new LocalResponder(status, mustClose).respond(this);
    }

    /** The server that answered (or is answering) this exchange, or null. */
    io.ferry.upstream.ServerPool servedBy() {
        return origin == null ? null : origin.server();
    }

    private Object server() {
        return origin == null ? null : origin.server();
    }

    /** Lets go of the origin's attempt (connection, queue place, slot), e.g. before a stale copy answers. */
    void endAttempt() {
        if (origin != null) {
            origin.release();
        }
    }

    /**
     * The client has gone. Before a response that is nginx's 499 "client closed request"; a response
     * already under way is not logged again.
     */
    public void clientClosed() {
        if (stage == Stage.DONE) {
            return;
        }
        if (!responseStarted) {
            log.debug("{} {}: client closed the connection before the response", ctx.method, ctx.uri);
            record.status = 499;
            finish(true);
        } else {
            finish(false);
        }
    }

    /**
     * The client closed its side (FIN). A request already on its way to the server is answered (the
     * client may be half-closing after its request, as HAProxy allows); one still waiting — queued for a
     * slot, or for another's cache fetch — is dropped as the client's abort (HAProxy's abortonclose), so
     * clients that left never take a server slot. True when the exchange ended here.
     */
    public boolean clientHalfClosed() {
        boolean waiting = stage == Stage.WAITING_CACHE || stage == Stage.FORWARDING && origin.queued();
        if (waiting && !responseStarted) {
            clientClosed();
            return true;
        }
        return false;
    }

    /** The client connection failed: let go of everything, nothing to report. */
    public void abandon() {
        finish(false);
    }

    /**
     * The client sent or read nothing within timeouts.client. A client waiting for a slow server is
     * timeouts.server's business; one that stops sending its body gets 408; one that stops reading is cut.
     */
    public void clientInactive() {
        boolean waitingForServer = (stage == Stage.FORWARDING || stage == Stage.WAITING_CACHE)
                && requestDone && !responseStarted;
        if (stage == Stage.DONE || waitingForServer) {
            return;
        }
        if (!responseStarted) {
            giveUp(HttpResponseStatus.REQUEST_TIMEOUT, "client sent no data within timeouts.client", true);
        } else {
            log.info("{} {}: client read nothing within timeouts.client; closing", ctx.method, ctx.uri);
            finish(false);
            client.abort();
        }
    }

    /** Releases everything the exchange holds, once, and reports it (when {@code report}). */
    private void finish(boolean report) {
        if (stage == Stage.DONE) {
            return;
        }
        stage = Stage.DONE;
        if (origin != null) {
            origin.release();
        }
        if (cache != null) {
            cache.end();
        }
        body.release();
        if (ctx.onEnd != null) {
            ctx.onEnd.forEach(Runnable::run);
            ctx.onEnd = null;
        }
        if (ctx.request != null) {
            ReferenceCountUtil.release(ctx.request);
            ctx.request = null;
        }
        if (report && !subrequest) {
            record.report(settings, runtime.live);
            if (ctx.trace != null && ctx.trace.sampled() && runtime.spans != null) {
                record.exportSpans(ctx.trace, runtime.spans);
            }
        }
    }
}
