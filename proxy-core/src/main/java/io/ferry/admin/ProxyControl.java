package io.ferry.admin;

import io.ferry.cache.HttpCache;
import io.ferry.config.FerryConfig;
import io.ferry.metrics.ProxyMetrics;
import io.ferry.upstream.Backend;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * What the admin listener may see and do of the running proxy. The server implements it and hands
 * itself to {@link AdminServer#start}, so the admin package never depends on the server package.
 */
public interface ProxyControl {
    FerryConfig config();

    /**
     * Re-reads the config file and applies it without dropping connections.
     *
     * @throws io.ferry.config.ConfigError when the file is invalid; the running config stays in force
     */
    FerryConfig reloadFromSource();

    ProxyMetrics metrics();

    /** False once a graceful shutdown began. */
    boolean isReady();

    /** Reopens the access log file; false when access logging is off. */
    boolean reopenAccessLog();

    Map<String, InetSocketAddress> listenerAddresses();

    void addServer(String backend, String address, int weight);

    void removeServer(String backend, String address);

    /** An operator drained or enabled a server: the server keeps it in its state file, if any. */
    void serverStateChanged();

    /** The live request log that GET /log watches. */
    default io.ferry.accesslog.LiveLog liveLog() {
        return new io.ferry.accesslog.LiveLog(); // nothing publishes to it
    }

    /**
     * An invalidation made here sent on to the fleet's peers (cluster.purge-fanout): the peers' replies, or
     * none when this instance is in no fleet.
     */
    default java.util.concurrent.CompletableFuture<java.util.List<io.ferry.cluster.PeerMessenger.Reply>> toPeers(
            io.ferry.cluster.PeerMessenger.Message invalidation) {
        return java.util.concurrent.CompletableFuture.completedFuture(java.util.List.of());
    }

    Map<String, Backend> backends();

    /** The shared cache, or null when caching is off. */
    HttpCache cache();

    int clientConnections();
}
