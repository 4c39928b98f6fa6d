package io.ferry.config;

/** The admin listener (health, reload). Loopback-only by default. */
public record AdminConfig(boolean enabled, String bind, int port) {
}
