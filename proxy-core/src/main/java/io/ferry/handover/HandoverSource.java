package io.ferry.handover;

import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** What a running Ferry gives its successor over the hand-over socket. */
public interface HandoverSource {
    /** Every listening socket of this process by a name for logs: client listeners, admin, demo origin. */
    Map<String, Channel> listeningChannels();

    /**
     * Writes the cache's objects to {@code file} for the successor to read; returns "objects bytes millis",
     * or null when this process keeps no cache.
     */
    String writeCache(Path file) throws IOException;

    /** The successor is accepting: stop accepting, finish what is in flight, exit. Runs on a thread of its own. */
    void handedOver();
}
