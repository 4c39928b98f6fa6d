package io.ferry.rules;

import io.ferry.config.RulesConfig;

/** The state of one {@code rules.limits} entry: a {@link RateLimiter} or a {@link ConcurrencyLimiter}. */
public interface Limiter {
    RulesConfig.Limit config();
}
