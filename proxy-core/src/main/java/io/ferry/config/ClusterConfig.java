package io.ferry.config;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * {@code cluster}: the other Ferry instances of a fleet. Their servers (listed, or found by DNS as any
 * backend's) make the backend {@link #PEERS_BACKEND}, which peer traffic uses: pooled keepalive
 * connections, passive health, retries.
 *
 * @param self          this instance as its peers reach it (an address of one of its listeners): the member
 *                      of the peer list that is this instance
 * @param shardCache    each cacheable URL has one owner on a consistent ring of the members: a non-owner
 *                      forwards the request to the owner instead of to the backend (Varnish's shard director)
 * @param purgeFanout   a PURGE or BAN received from a client is sent on to every peer
 * @param secret        the value of the Ferry-Peer header peers send (empty: the header's presence); peer
 *                      requests are believed only from the peers' addresses
 * @param fanoutTimeout how long a purge's answer waits for the peers' answers before it says which did not answer
 * @param retryFor      a peer that missed an invalidation gets it again, every few seconds, for this long
 * @param localTtl      a non-owner keeps a copy of what the owner sent for at most this long (0: none), so a
 *                      hot object is not fetched over the fleet for every request; purges reach the copies too
 */
public record ClusterConfig(InetSocketAddress self, String selfName, boolean shardCache, boolean purgeFanout,
                            String secret, Duration fanoutTimeout, Duration retryFor, Duration localTtl) {
    /** The backend of the peers, made from cluster.peers. */
    public static final String PEERS_BACKEND = "ferry-peers";
}
