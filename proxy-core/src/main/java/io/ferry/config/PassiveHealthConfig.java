package io.ferry.config;

import java.time.Duration;

/**
 * Passive health: real traffic marks a server down after {@code failures} consecutive failures
 * (connect failures, resets, timeouts, and 5xx answers if {@code count5xx}) for {@code cooldown}.
 */
public record PassiveHealthConfig(boolean enabled, int failures, Duration cooldown, boolean count5xx) {
}
