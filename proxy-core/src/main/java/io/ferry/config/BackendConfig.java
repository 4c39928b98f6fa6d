package io.ferry.config;

import java.time.Duration;
import java.util.List;

/**
 * A named pool of servers that routes forward to.
 *
 * @param preserveHost  send the client's Host header upstream (true) or the server's address (false)
 * @param connectTimeout the backend's connect timeout (defaults to the global one)
 * @param serverTimeout  the backend's server inactivity timeout (defaults to the global one)
 */
public record BackendConfig(
        String name,
        List<ServerConfig> servers,
        Balance balance,
        boolean preserveHost,
        PoolConfig pool,
        Duration connectTimeout,
        Duration serverTimeout) {

    /** Balancing algorithms. */
    public enum Balance {
        ROUND_ROBIN("round-robin");

        private final String configName;

        Balance(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        static Balance parse(String value) {
            for (Balance b : values()) {
                if (b.configName.equals(value)) {
                    return b;
                }
            }
            return null;
        }
    }
}
