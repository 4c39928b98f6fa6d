package io.ferry.exchange;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The request body on its way upstream: parts that arrived before there was a connection to send
 * them on (queued, or read whole for a FastCGI script), and copies of the parts sent so far so a
 * retry can send them again, while the body fits in {@code limits.max-replay-body}.
 */
final class RequestBody {
    /** Made on first use: most requests have no body. */
    private ArrayDeque<HttpContent> queued;
    private List<HttpContent> replay;
    /** The body ended with the shared empty last part (every request without a body): replayed without a copy. */
    private boolean emptyEndSent;
    private final long maxReplay;
    private long replayBytes;
    private boolean replayable = true;
    private long received;

    RequestBody(long maxReplay) {
        this.maxReplay = maxReplay;
    }

    /** Keeps a part until there is a connection. */
    void queue(HttpContent part) {
        received += part.content().readableBytes();
        if (queued == null) {
            queued = new ArrayDeque<>(4);
        }
        queued.add(part);
    }

    boolean nothingQueued() {
        return queued == null || queued.isEmpty();
    }

    /** Bytes of body received so far (queued or sent). */
    long received() {
        return received;
    }

    /** Whether every part sent so far can be sent again. */
    boolean replayable() {
        return replayable;
    }

    /** Writes a part upstream (not flushed), keeping a copy for a retry while the body is small enough. */
    void send(HttpContent part, Channel upstream) {
        received += part.content().readableBytes();
        write(part, upstream);
    }

    /** On a new attempt's connection: the parts sent before (a retry), then the queued ones. */
    void sendAll(Channel upstream) {
        if (replay != null) {
            for (HttpContent copy : replay) {
                upstream.write(copy.retainedDuplicate(), upstream.voidPromise());
            }
        }
        if (emptyEndSent) {
            upstream.write(LastHttpContent.EMPTY_LAST_CONTENT, upstream.voidPromise());
        }
        HttpContent part;
        while (queued != null && (part = queued.poll()) != null) {
            write(part, upstream);
        }
    }

    private void write(HttpContent part, Channel upstream) {
        if (part == LastHttpContent.EMPTY_LAST_CONTENT) {
            emptyEndSent = true;
        } else if (replayable) {
            long size = part.content().readableBytes();
            if (replayBytes + size <= maxReplay) {
                if (replay == null) {
                    replay = new ArrayList<>(2);
                }
                replay.add(part.retainedDuplicate());
                replayBytes += size;
            } else {
                replayable = false;
                releaseReplay();
            }
        }
        upstream.write(part, upstream.voidPromise());
    }

    /** The exchange is over: drop what was kept to send or resend. */
    void release() {
        HttpContent part;
        while (queued != null && (part = queued.poll()) != null) {
            part.release();
        }
        releaseReplay();
    }

    private void releaseReplay() {
        if (replay != null) {
            for (HttpContent c : replay) {
                c.release();
            }
            replay.clear();
        }
    }
}
