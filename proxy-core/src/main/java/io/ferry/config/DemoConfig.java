package io.ferry.config;

/** The built-in demo origin, so that the default config answers on a fresh machine. */
public record DemoConfig(boolean enabled, String bind, int port) {
}
