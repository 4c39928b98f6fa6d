package io.ferry.config;

import java.time.Duration;

/**
 * HTTP/2 on the client side: what Ferry advertises in SETTINGS and the budgets that guard against the
 * HTTP/2 attacks. Past a budget the connection ends with GOAWAY ENHANCE_YOUR_CALM (logged, counted).
 *
 * @param maxConcurrentStreams  SETTINGS_MAX_CONCURRENT_STREAMS (HAProxy tune.h2.max-concurrent-streams)
 * @param initialWindowSize     SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may send unread
 * @param maxFrameSize          SETTINGS_MAX_FRAME_SIZE
 * @param maxHeaderListSize     SETTINGS_MAX_HEADER_LIST_SIZE; over it a request gets 431, far over it the
 *                              connection ends (a header block is bounded in bytes while it arrives)
 * @param maxResets             RST_STREAM frames a client may send per {@code resetWindow} (rapid reset)
 * @param resetWindow           the window for {@code maxResets}
 * @param maxControlFrames      PING, SETTINGS, PRIORITY, tiny WINDOW_UPDATE and empty DATA frames per
 *                              {@code controlFrameWindow} (floods)
 * @param controlFrameWindow    the window for {@code maxControlFrames}
 * @param maxContinuationFrames small CONTINUATION frames in one header block (CONTINUATION flood)
 * @param maxEmptyDataFrames    consecutive DATA frames without payload or END_STREAM
 * @param maxQueuedControlFrames answers to PING/SETTINGS queued for a client that does not read them
 */
public record Http2Config(
        int maxConcurrentStreams,
        int initialWindowSize,
        int maxFrameSize,
        long maxHeaderListSize,
        int maxResets,
        Duration resetWindow,
        int maxControlFrames,
        Duration controlFrameWindow,
        int maxContinuationFrames,
        int maxEmptyDataFrames,
        int maxQueuedControlFrames) {
}
