package io.ferry.transport;

/** Ferry could not start, for a reason the operator can fix (a port in use, a transport missing). */
public final class StartupError extends RuntimeException {
    public StartupError(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
