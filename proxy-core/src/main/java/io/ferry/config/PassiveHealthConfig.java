package io.ferry.config;

import java.time.Duration;

/**
 * Passive health: real traffic marks a server down after {@code failures} consecutive failures
 * (connect failures, resets, timeouts, and 5xx answers if {@code count5xx}) for {@code cooldown} —
 * never the backend's last server up; and while fewer than {@code panicThreshold} (a share, 0 to 1) of
 * the servers are up, the passively ejected ones take traffic anyway.
 */
public record PassiveHealthConfig(boolean enabled, int failures, Duration cooldown, boolean count5xx,
                                  double panicThreshold) {
}
