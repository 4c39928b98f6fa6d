package io.ferry.config;

/** Netty transports Ferry can run on. AUTO picks epoll where available, else NIO. */
public enum TransportKind {
    AUTO, IO_URING, EPOLL, NIO;

    static TransportKind parse(String value) {
        return switch (value) {
            case "auto" -> AUTO;
            case "io_uring", "io-uring" -> IO_URING;
            case "epoll" -> EPOLL;
            case "nio" -> NIO;
            default -> null;
        };
    }
}
