package io.ferry.config;

import java.time.Duration;

/** The two duration checks the section readers share. */
final class Durations {
    private Durations() {
    }

    static Duration positive(Section s, String key, Duration defaultValue) {
        Duration d = s.duration(key, defaultValue);
        if (d.isZero() || d.isNegative()) {
            throw s.error(key, "must be longer than 0");
        }
        return d;
    }

    /** A duration that may be zero (grace = 0s turns grace off). */
    static Duration nonNegative(Section s, String key, Duration defaultValue) {
        return s.durationOrZero(key, defaultValue);
    }
}
