package io.ferry.exchange;

import io.ferry.cache.HttpCache;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PURGE and BAN from cache.purge.allow networks (403 from anywhere else), in the dialect the sender
 * speaks ({@link Invalidation}). The answer says what was done: the objects purged (or made stale) in
 * X-Purged-Objects and the body, or the ban recorded; 400 with the reason for a request none of the
 * dialects explains.
 */
final class InvalidationResponder implements Responder {
    private static final Logger log = LoggerFactory.getLogger(InvalidationResponder.class);
    static final String PURGED_OBJECTS = "x-purged-objects";

    private final CacheFront front;
    private final String host;

    InvalidationResponder(CacheFront front, String host) {
        this.front = front;
        this.host = host;
    }

    static boolean invalidates(HttpMethod method) {
        return method.name().equals("PURGE") || method.name().equals("BAN");
    }

    @Override
    public void respond(Exchange ex) {
        String client = ex.record.remoteAddr();
        if (!ex.ctx.fromPeer && !front.mayPurge(ex.clientAddress().getAddress())) {
            log.warn("{} {} from {} refused: not in cache.purge.allow", ex.ctx.method, ex.ctx.uri, client);
            ex.giveUp(HttpResponseStatus.FORBIDDEN, ex.ctx.method + " from " + client);
            return;
        }
        HttpCache cache = front.cache;
        Invalidation what = Invalidation.read(ex.ctx.method, ex.ctx.uri, host, ex.ctx.request.headers());
        String done;
        int count = -1;
        if (what instanceof Invalidation.Url u) {
            count = cache.purge(HttpCache.primaryKey(u.host(), u.target()), u.soft());
            done = (u.soft() ? "made stale " : "purged ") + count + " objects of " + u.host() + u.target() + " ("
                    + u.dialect() + ")";
        } else if (what instanceof Invalidation.Tags t) {
            count = cache.purgeTags(t.tags(), t.soft());
            done = (t.soft() ? "made stale " : "purged ") + count + " objects tagged " + String.join(" ", t.tags())
                    + " (" + t.dialect() + ")";
        } else if (what instanceof Invalidation.Ban b) {
            cache.ban(b.rule());
            done = "ban added: " + b.rule().describe() + ", stored before it (" + b.dialect() + ")";
        } else {
            String reason = ((Invalidation.Refused) what).reason();
            log.warn("{} {} from {} refused: {}", ex.ctx.method, ex.ctx.uri, client, reason);
            answer(ex, HttpResponseStatus.BAD_REQUEST, "not understood: " + reason, -1);
            return;
        }
        log.info("{} {} from {}{}: {}", ex.ctx.method, ex.ctx.uri, client, ex.ctx.fromPeer ? " (a peer)" : "", done);
        ProxyRuntime.Cluster cluster = ex.runtime.cluster;
        io.ferry.cluster.PeerMessenger messenger = ex.runtime.messenger;
        if (cluster == null || !cluster.config().purgeFanout() || ex.ctx.peerMarked || messenger == null
                || cluster.others().isEmpty()) {
            answer(ex, HttpResponseStatus.OK, done, count);
            return;
        }
        // The fleet: every peer gets the same request; the answer waits for theirs (at most fanout-timeout)
        // and says which applied it. One that did not is sent it again until cluster.retry-for has passed.
        int local = count;
        messenger.fanOut(peerMessage(ex, host, cluster), cluster.others(), cluster.config().fanoutTimeout(),
                cluster.config().retryFor()).thenAccept(replies -> ex.client.eventLoop().execute(() -> {
                    if (!ex.waitingInPhases()) {
                        return; // the client left meanwhile
                    }
                    StringBuilder body = new StringBuilder(done);
                    java.util.List<String> applied = new java.util.ArrayList<>();
                    java.util.List<String> missed = new java.util.ArrayList<>();
                    for (io.ferry.cluster.PeerMessenger.Reply r : replies) {
                        (r.applied() ? applied : missed).add(r.peer());
                        body.append("\npeer ").append(r.peer()).append(": ").append(r.detail());
                    }
                    if (!missed.isEmpty()) {
                        log.warn("{} {}: peers {} did not take it; sent again until cluster.retry-for", ex.ctx.method,
                                ex.ctx.uri, missed);
                    }
                    answer(ex, HttpResponseStatus.OK, body.toString(), local, applied, missed);
                }));
    }

    /** The invalidation as the peers get it: the same method, target and fields, marked as a peer's. */
    private static io.ferry.cluster.PeerMessenger.Message peerMessage(Exchange ex, String host, ProxyRuntime.Cluster cluster) {
        java.util.List<java.util.Map.Entry<String, String>> fields = new java.util.ArrayList<>();
        for (java.util.Map.Entry<String, String> e : ex.ctx.request.headers()) {
            String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (!name.equals("host") && !name.equals("content-length") && !name.equals("transfer-encoding")
                    && !name.equals("connection") && !name.equals(ClusterPhase.FERRY_PEER.toString())) {
                fields.add(e);
            }
        }
        if (host != null) {
            fields.add(java.util.Map.entry("Host", host));
        }
        String secret = cluster.config().secret();
        fields.add(java.util.Map.entry("Ferry-Peer", secret.isEmpty() ? "1" : secret));
        return new io.ferry.cluster.PeerMessenger.Message(ex.ctx.method.name(), ex.ctx.uri, java.util.List.copyOf(fields));
    }

    private static void answer(Exchange ex, HttpResponseStatus status, String body, int count,
                               java.util.List<String> applied, java.util.List<String> missed) {
        byte[] text = (body + "\n").getBytes(StandardCharsets.UTF_8);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(text));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length)
                .set("x-peers-applied", String.join(", ", applied));
        if (!missed.isEmpty()) {
            res.headers().set("x-peers-missed", String.join(", ", missed));
        }
        if (count >= 0) {
            res.headers().setInt(PURGED_OBJECTS, count);
        }
        ex.record.bytesSent = text.length;
        ex.sendFull(res, false);
    }

    private static void answer(Exchange ex, HttpResponseStatus status, String body, int count) {
        byte[] text = (body + "\n").getBytes(StandardCharsets.UTF_8);
        DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(text));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        if (count >= 0) {
            res.headers().setInt(PURGED_OBJECTS, count);
        }
        ex.record.bytesSent = text.length;
        ex.sendFull(res, false);
    }
}
