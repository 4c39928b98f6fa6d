package io.ferry.config;

import java.util.List;

/**
 * The admin listener.
 *
 * @param allow networks (CIDR) whose clients may use it; others get 403
 * @param token if set, requests must carry {@code Authorization: Bearer <token>}
 */
public record AdminConfig(boolean enabled, String bind, int port, List<String> allow, String token) {

    /** Hides the token when the config is shown. */
    @Override
    public String toString() {
        return "AdminConfig[enabled=" + enabled + ", bind=" + bind + ", port=" + port + ", allow=" + allow
                + ", token=" + (token == null ? "none" : "(redacted)") + "]";
    }
}
