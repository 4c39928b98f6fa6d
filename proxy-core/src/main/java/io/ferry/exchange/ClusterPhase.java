package io.ferry.exchange;

import io.ferry.cache.HttpCache;
import io.ferry.upstream.ServerPool;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;

/**
 * The fleet on the request path (cluster section). {@link Marker}: a request a peer sent on carries
 * Ferry-Peer: it is never sent on again (to an owner or as a fan-out), and is believed — a purge taken
 * from outside purge.allow — only from a peer's address with cluster.secret when one is set; the field
 * never reaches a backend. {@link Shard}: a request the cache may answer goes to
 * the member that owns its URL on the ring ({@link io.ferry.cluster.ShardRing}) instead of to the backend,
 * so each object is fetched and stored once for the fleet, with the owner's grace, coalescing and
 * hit-for-miss; passes go to the backend from here.
 */
final class ClusterPhase {
    static final AsciiString FERRY_PEER = AsciiString.cached("ferry-peer");

    private ClusterPhase() {
    }

    /** Reads and removes the peer marker; before invalidation, which a peer's purge must not fan out again. */
    static final class Marker implements RequestPhase {
        @Override
        public Next onRequest(Exchange ex, RequestContext ctx) {
            if (ex.runtime.cluster == null) {
                return Next.CONTINUE;
            }
            HttpHeaders h = ctx.request.headers();
            String mark = h.get(FERRY_PEER);
            if (mark != null) {
                h.remove(FERRY_PEER);
                // Marked: never sent on again, whoever sent it (no forwarding loop, no second fan-out). Believed
                // — a purge from outside purge.allow taken — only from a peer's address with the secret.
                ctx.peerMarked = true;
                InetSocketAddress from = ex.client.remoteAddress();
                String secret = ex.runtime.cluster.config().secret();
                ctx.fromPeer = from != null && ex.runtime.cluster.isPeer(from.getAddress())
                        && (secret.isEmpty() || secret.equals(mark));
            }
            return Next.CONTINUE;
        }
    }

    /** Sends a cacheable request to its owner. After the cache policy, before the FastCGI mapping and the lookup. */
    static final class Shard implements RequestPhase {
        @Override
        public Next onRequest(Exchange ex, RequestContext ctx) {
            ProxyRuntime.Cluster cluster = ex.runtime.cluster;
            CacheLookup cache = ex.cache();
            if (cluster == null || ctx.peerMarked || cache == null || cache.passes() || !cluster.config().shardCache()) {
                return Next.CONTINUE;
            }
            ServerPool owner = cluster.ring().owner(HttpCache.primaryKey(ctx.host, ctx.uri));
            if (owner == null) {
                return Next.CONTINUE; // this instance owns it: the local cache, then the backend
            }
            ex.note("fleet: " + owner.name() + " owns this URL");
            long localTtl = cluster.config().localTtl().toMillis();
            if (localTtl > 0) {
                ctx.shardLocalTtl = localTtl; // looked up here first; a miss is fetched from the owner and kept briefly
            } else {
                ex.dropCache();
                ex.record.cacheStatus = "PEER";
            }
            ctx.backend = cluster.peers();
            ctx.stickyServer = owner; // the owner first; a retry goes to another peer, which serves it itself
            ctx.hashKey = ctx.normalPath;
            ctx.backend.retryBudget().onRequest();
            ex.record.backend = ctx.backend.name();
            HttpHeaders h = ctx.request.headers();
            if (ctx.host != null) {
                h.set(HttpHeaderNames.HOST, ctx.host); // the owner routes it as this instance did
            }
            h.set(FERRY_PEER, cluster.config().secret().isEmpty() ? "1" : cluster.config().secret());
            return Next.CONTINUE;
        }
    }
}
