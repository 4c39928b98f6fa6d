package io.ferry.config;

/**
 * Request limits. Exceeding one answers 414, 431 or 413 and nothing is forwarded.
 *
 * @param maxRequestLine bytes of the request line (414)
 * @param maxHeaderSize  bytes of all header lines together (431)
 * @param maxHeaders     number of header fields (431)
 * @param maxBodySize    bytes of a request body (413)
 * @param maxReplayBody  bytes of a request body kept to resend it on a retry; larger bodies are not retried
 */
public record Limits(int maxRequestLine, int maxHeaderSize, int maxHeaders, long maxBodySize, long maxReplayBody) {
}
