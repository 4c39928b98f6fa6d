package io.ferry.rules;

/**
 * How the request rules ended, when one ended them: an answer (deny, redirect, return) or a backend
 * chosen by name (use-backend). Built per request only when a rule ends them.
 */
public record Outcome(Kind kind, String rule, int status, String location, String contentType, byte[] body,
                      String backend, long retryAfterSeconds) {
    public enum Kind { DENY, REDIRECT, RETURN, USE_BACKEND, LIMITED }

    Outcome(Kind kind, String rule, int status, String location, String contentType, byte[] body, String backend) {
        this(kind, rule, status, location, contentType, body, backend, 0);
    }
}
