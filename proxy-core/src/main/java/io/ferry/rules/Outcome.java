package io.ferry.rules;

/**
 * How the request rules ended, when one ended them: an answer (deny, redirect, return) or a backend
 * chosen by name (use-backend). Built per request only when a rule ends them.
 */
public record Outcome(Kind kind, String rule, int status, String location, String contentType, byte[] body,
                      String backend, long retryAfterSeconds, Resume resume) {
    /** AUTH: 401 with the realm in {@code location}; CHECKING: credentials are being checked, see {@link #resume}. */
    public enum Kind { DENY, REDIRECT, RETURN, USE_BACKEND, LIMITED, AUTH, CHECKING }

    /** Where the rules go on once a credential check completes, and the check. */
    public record Resume(java.util.concurrent.CompletableFuture<Boolean> check, int rule, int step, String realm) {
    }

    public Outcome(Kind kind, String rule, int status, String location, String contentType, byte[] body, String backend) {
        this(kind, rule, status, location, contentType, body, backend, 0, null);
    }
}
