package io.ferry.handover;

/**
 * The hand-over conversation over a unix socket, one line per command and per answer (the successor asks):
 * <pre>
 *   listeners        → "pid N", one "listener NAME HOST:PORT" per socket, "end COUNT"
 *   fds              → COUNT file descriptors (SCM_RIGHTS), in the order of the last "listeners"
 *   cache PATH       → "cache OBJECTS BYTES MILLIS" once written to PATH, "cache none", or "error WHY"
 *   stop             → "stopping"; the predecessor closes this socket, stops accepting, drains and exits
 * </pre>
 * The successor switches its read side to descriptors before it sends "fds" and back after COUNT arrived,
 * so bytes and descriptors never meet in one read.
 */
final class HandoverProtocol {
    static final String LISTENERS = "listeners";
    static final String FDS = "fds";
    static final String CACHE = "cache";
    static final String STOP = "stop";
    static final String STOPPING = "stopping";
    static final int MAX_LINE = 4096;

    private HandoverProtocol() {
    }
}
