package io.ferry.server;

import java.util.function.Supplier;

/**
 * What every client connection of one listener shares: its name, whether it is TLS, and where to
 * find the current runtime (swapped by a reload).
 */
record ProxySettings(String listener, boolean tls, Supplier<ProxyRuntime> runtime) {
}
