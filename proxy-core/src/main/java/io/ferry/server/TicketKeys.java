package io.ferry.server;

import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.tls.ServerTls;
import io.ferry.tls.SessionTickets;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Session-ticket keys per TLS listener. They outlive a reload, so tickets issued before it still resume;
 * the running configuration's TLS contexts get them whenever they change or rotate.
 */
final class TicketKeys {
    private final Map<String, SessionTickets> byListener = new ConcurrentHashMap<>();
    private final Supplier<ProxyRuntime> runtime;

    TicketKeys(Supplier<ProxyRuntime> runtime) {
        this.runtime = runtime;
    }

    /** At start: keys for every TLS listener, rotated every {@code session-tickets.rotate} on one of the loops. */
    void start(List<ListenerConfig> listeners, Map<String, ServerTls> tls, EventLoopGroup loops) {
        for (ListenerConfig l : listeners) {
            if (l.isTls()) {
                SessionTickets t = new SessionTickets(l.tls().tickets(), l.name());
                t.applyTo(tls.get(l.name()));
                byListener.put(l.name(), t);
                long every = t.rotateMillis();
                loops.next().scheduleAtFixedRate(() -> {
                    t.rotate();
                    t.applyTo(runtime.get().tls.get(l.name()));
                }, every, every, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** A TLS listener opened by a reload gets its keys. */
    void opened(ListenerConfig l) {
        if (l.isTls() && !byListener.containsKey(l.name())) {
            SessionTickets t = new SessionTickets(l.tls().tickets(), l.name());
            t.applyTo(runtime.get().tls.get(l.name()));
            byListener.put(l.name(), t);
        }
    }

    /** A reload: key files are read again and the new TLS contexts get the keys (new listeners theirs when they open). */
    void reload(Map<String, ServerTls> tls) {
        tls.forEach((name, t) -> {
            SessionTickets keys = byListener.get(name);
            if (keys != null) {
                keys.reload();
                keys.applyTo(t);
            }
        });
    }
}
