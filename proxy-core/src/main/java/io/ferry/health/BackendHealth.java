package io.ferry.health;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What passive health may do to a backend as a whole. Passive verdicts come from real traffic, which
 * a restart or a deliberately closing server can fail a few times; they must not leave a backend
 * with nothing. So passive health never ejects the last server that is up (nginx never marks the only
 * server of a group down), and while fewer than {@code panic-threshold} of the servers are up the
 * backend is in panic (Envoy's panic threshold): passively ejected servers take traffic again. Servers
 * that active checks or an operator took out stay out. Recomputed only when a verdict changes.
 */
public final class BackendHealth {
    private static final Logger log = LoggerFactory.getLogger(BackendHealth.class);

    private final String backend;
    private final double panicThreshold;
    private final List<ServerHealth> servers = new ArrayList<>();
    private volatile boolean panic;

    public BackendHealth(String backend, double panicThreshold) {
        this.backend = backend;
        this.panicThreshold = panicThreshold;
    }

    /** Called while the backend is built, before any traffic (a kept server's verdicts count at once). */
    synchronized void add(ServerHealth server) {
        servers.add(server);
    }

    /** True while passively ejected servers are balanced over anyway. */
    public boolean panic() {
        return panic;
    }

    /** Whether passive health may take {@code server} out: not if it is the last one up. */
    synchronized boolean mayEject(ServerHealth server) {
        for (ServerHealth s : servers) {
            if (s != server && s.upOnItsOwn()) {
                return true;
            }
        }
        return false;
    }

    /** A verdict changed (or kept servers joined): enter or leave panic. Rare, so a lock is fine here. */
    public synchronized void recompute() {
        int up = 0;
        int passivelyDown = 0;
        for (ServerHealth s : servers) {
            if (s.upOnItsOwn()) {
                up++;
            } else if (s.passivelyDownOnly()) {
                passivelyDown++;
            }
        }
        boolean next = passivelyDown > 0 && up < panicThreshold * servers.size();
        if (next != panic) {
            panic = next;
            if (next) {
                log.warn("backend {}: only {} of {} servers up, below passive-health.panic-threshold {}: "
                        + "balancing over the {} passively ejected too", backend, up, servers.size(), panicThreshold,
                        passivelyDown);
            } else {
                log.warn("backend {}: {} of {} servers up; leaving panic mode", backend, up, servers.size());
            }
        }
    }
}
