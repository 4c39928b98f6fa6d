package io.ferry.frontend;

import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * The stream-state errors of RFC 9113 §5.1 and §5.1.1 where Netty's decoder answers otherwise:
 * <ul>
 * <li>HEADERS on a stream the client has half-closed: a stream error STREAM_CLOSED (Netty: PROTOCOL_ERROR
 *     when the frame lacks END_STREAM);</li>
 * <li>HEADERS on a stream that has closed: a connection error STREAM_CLOSED (Netty resets the stream
 *     only, since it no longer knows the stream);</li>
 * <li>HEADERS opening a stream numbered below one already opened: a connection error PROTOCOL_ERROR.</li>
 * </ul>
 * Netty forgets closed streams, so which lower numbers the client really used is kept here: client
 * stream numbers only grow, so only the ranges it skipped need remembering (a few; past that, a lower
 * number counts as used). Streams Ferry itself reset are left to Netty: frames the client sent before it
 * saw the reset are still arriving.
 */
final class StreamStates extends Http2ConnectionAdapter {
    private static final int MAX_SKIPPED_RANGES = 16;
    private static final int RECENT_RESETS = 32;

    private int highestOpened;
    /** Ranges of client stream numbers skipped over, as (first, last) pairs. */
    private final int[] skipped = new int[MAX_SKIPPED_RANGES * 2];
    private int skippedRanges;
    /** Streams Ferry reset lately: frames in flight on them are not the client's fault (§5.1, closed). */
    private final int[] resetSent = new int[RECENT_RESETS];
    private int resets;

    @Override
    public void onStreamClosed(Http2Stream stream) {
        if (stream.isResetSent()) {
            resetSent[resets++ % RECENT_RESETS] = stream.id();
        }
    }

    private boolean recentlyReset(int streamId) {
        for (int i = 0; i < Math.min(resets, RECENT_RESETS); i++) {
            if (resetSent[i] == streamId) {
                return true;
            }
        }
        return false;
    }

    /** A HEADERS frame was accepted on {@code streamId}. */
    void opened(int streamId) {
        if (streamId <= highestOpened) {
            return; // trailers, or a stream already known
        }
        int expected = highestOpened == 0 ? 1 : highestOpened + 2;
        if (streamId > expected && skippedRanges < MAX_SKIPPED_RANGES) {
            skipped[skippedRanges * 2] = expected;
            skipped[skippedRanges * 2 + 1] = streamId - 2;
            skippedRanges++;
        }
        highestOpened = streamId;
    }

    private boolean neverOpened(int streamId) {
        for (int i = 0; i < skippedRanges; i++) {
            if (streamId >= skipped[i * 2] && streamId <= skipped[i * 2 + 1]) {
                return true;
            }
        }
        return false;
    }

    /** The error RFC 9113 asks for in place of Netty's, or Netty's own. */
    Http2Exception asRfc9113(Http2Exception.StreamException e, Http2Connection connection) {
        int id = e.streamId();
        String message = String.valueOf(e.getMessage());
        Http2Stream stream = connection.stream(id);
        if (e.error() == Http2Error.PROTOCOL_ERROR && stream != null
                && stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE && message.contains("too many headers")) {
            return Http2Exception.streamError(id, Http2Error.STREAM_CLOSED, e,
                    "HEADERS on stream %d, which the client has half-closed", id);
        }
        if (e.error() == Http2Error.STREAM_CLOSED && stream == null && message.contains("HEADERS frame")
                && connection.remote().isValidStreamId(id) && !recentlyReset(id)) {
            if (neverOpened(id)) {
                return Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR, e,
                        "stream %d opened after stream %d (RFC 9113 §5.1.1)", id, highestOpened);
            }
            return Http2Exception.connectionError(Http2Error.STREAM_CLOSED, e, "HEADERS on closed stream %d", id);
        }
        return e;
    }
}
