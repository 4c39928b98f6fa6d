package io.ferry.config;

/**
 * A configuration problem, reported to the operator as one line naming the key and what is wrong.
 * Startup stops on it; a reload keeps the old configuration.
 */
public final class ConfigError extends RuntimeException {
    private final String key;

    public ConfigError(String key, String problem) {
        super(key + ": " + problem, null, false, false);
        this.key = key;
    }

    public ConfigError(String key, String problem, Throwable cause) {
        super(key + ": " + problem, cause, false, false);
        this.key = key;
    }

    /** The full path of the offending key, for example {@code ferry.listeners[1].tls.cert}. */
    public String key() {
        return key;
    }
}
