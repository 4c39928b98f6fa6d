package io.ferry.exchange;

import io.ferry.accesslog.AccessLog;
import io.ferry.accesslog.LogFormat;
import io.ferry.metrics.ProxyMetrics;
import java.util.function.Supplier;

/**
 * What every client connection of one listener shares: its name, whether it is TLS, where to find the
 * current runtime (swapped by a reload), and where finished exchanges are reported.
 *
 * @param accessLog null when access logging is off
 */
public record ProxySettings(String listener, boolean tls, Supplier<ProxyRuntime> runtime, ProxyMetrics metrics,
                     AccessLog accessLog, LogFormat logFormat) {
}
