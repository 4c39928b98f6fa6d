package io.ferry.server;

import io.ferry.config.ListenerConfig;
import io.ferry.exchange.ProxyRuntime;
import io.ferry.tls.ServerTls;
import io.ferry.tls.SessionTickets;
import io.netty.channel.EventLoopGroup;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Session-ticket keys per TLS listener, each rotated every {@code session-tickets.rotate} on one of the
 * loops. They outlive a reload, so tickets issued before it still resume; the running configuration's
 * TLS contexts get them whenever they change or rotate (SessionTickets serialises the two). A listener a
 * reload removes keeps its keys (and their rotation) so one that brings it back resumes its sessions.
 */
final class TicketKeys {
    private record Rotating(SessionTickets keys, ScheduledFuture<?> task) {
    }

    private final Map<String, Rotating> byListener = new ConcurrentHashMap<>();
    private final Supplier<ProxyRuntime> runtime;
    private volatile EventLoopGroup loops;

    TicketKeys(Supplier<ProxyRuntime> runtime) {
        this.runtime = runtime;
    }

    /** At start: keys for every TLS listener. */
    void start(List<ListenerConfig> listeners, Map<String, ServerTls> tls, EventLoopGroup loops) {
        this.loops = loops;
        for (ListenerConfig l : listeners) {
            if (l.isTls()) {
                add(l, tls.get(l.name()));
            }
        }
    }

    /** A TLS listener opened by a reload gets its keys (the ones it had, if it is back). */
    void opened(ListenerConfig l) {
        if (l.isTls() && !byListener.containsKey(l.name())) {
            add(l, runtime.get().tls.get(l.name()));
        }
    }

    /**
     * A reload: key files are read again and the new TLS contexts get the keys; a listener whose
     * {@code session-tickets} changed gets new ones (new listeners get theirs when they open).
     */
    void reload(List<ListenerConfig> listeners, Map<String, ServerTls> tls) {
        Set<String> kept = new HashSet<>();
        for (ListenerConfig l : listeners) {
            Rotating r = l.isTls() ? byListener.get(l.name()) : null;
            if (r == null) {
                continue;
            }
            kept.add(l.name());
            if (!r.keys().settings().equals(l.tls().tickets())) {
                r.task().cancel(false);
                add(l, tls.get(l.name()));
            } else {
                r.keys().reload();
                r.keys().applyTo(tls.get(l.name()));
            }
        }
        byListener.forEach((name, r) -> {
            if (!kept.contains(name)) {
                r.keys().detach();
            }
        });
    }

    private void add(ListenerConfig l, ServerTls tls) {
        SessionTickets keys = new SessionTickets(l.tls().tickets(), l.name());
        keys.applyTo(tls);
        long every = keys.rotateMillis();
        ScheduledFuture<?> task = loops.next().scheduleAtFixedRate(keys::rotate, every, every, TimeUnit.MILLISECONDS);
        byListener.put(l.name(), new Rotating(keys, task));
    }
}
