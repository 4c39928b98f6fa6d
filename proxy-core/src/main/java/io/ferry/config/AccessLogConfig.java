package io.ferry.config;

/**
 * The access log.
 *
 * @param path   a file, or "stdout"
 * @param format nginx-style $variables (see LogFormat)
 * @param queue  lines buffered for the writer thread; beyond it lines are dropped, never blocking
 */
public record AccessLogConfig(boolean enabled, String path, String format, int queue) {
}
