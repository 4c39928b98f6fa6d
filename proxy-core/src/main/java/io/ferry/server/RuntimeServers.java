package io.ferry.server;

import io.ferry.config.BackendConfig;
import io.ferry.config.ConfigLoader;
import io.ferry.config.FerryConfig;
import io.ferry.config.ServerConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Servers an operator added or removed over the admin API. They are changes on top of the config
 * file, so every reload of the file applies them again (and the state file keeps them across a
 * restart) until the operator undoes them or the file itself agrees.
 */
final class RuntimeServers {
    /** backend → address → weight, in the order they were added. */
    private final Map<String, Map<String, Integer>> added = new LinkedHashMap<>();
    /** backend → addresses taken out. */
    private final Map<String, Set<String>> removed = new LinkedHashMap<>();

    synchronized void add(String backend, String address, int weight) {
        Set<String> gone = removed.get(backend);
        if (gone != null && gone.remove(address)) {
            return; // it is in the file: undoing the removal is enough
        }
        added.computeIfAbsent(backend, b -> new LinkedHashMap<>()).put(address, weight);
    }

    synchronized void remove(String backend, String address) {
        Map<String, Integer> mine = added.get(backend);
        if (mine != null && mine.remove(address) != null) {
            return;
        }
        removed.computeIfAbsent(backend, b -> new LinkedHashSet<>()).add(address);
    }

    synchronized Map<String, Map<String, Integer>> added() {
        Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
        added.forEach((b, m) -> copy.put(b, Map.copyOf(m)));
        return copy;
    }

    synchronized Map<String, Set<String>> removed() {
        Map<String, Set<String>> copy = new LinkedHashMap<>();
        removed.forEach((b, s) -> copy.put(b, Set.copyOf(s)));
        return copy;
    }

    /**
     * The config with the operator's changes applied: added servers that the file does not list, and
     * removals of servers it still lists (never the last server of a backend). Changes naming a backend
     * the file no longer has are dropped.
     */
    synchronized FerryConfig applyTo(FerryConfig c) {
        Map<String, BackendConfig> backends = new LinkedHashMap<>(c.backends());
        boolean changed = false;
        for (BackendConfig b : c.backends().values()) {
            List<ServerConfig> servers = new ArrayList<>(b.servers());
            for (Map.Entry<String, Integer> a : added.getOrDefault(b.name(), Map.of()).entrySet()) {
                if (servers.stream().noneMatch(s -> s.name().equals(a.getKey()))) {
                    servers.add(ConfigLoader.runtimeServer(a.getKey(), a.getValue(),
                            b.servers().isEmpty() ? 0 : b.servers().get(0).maxConns()));
                }
            }
            Set<String> gone = removed.getOrDefault(b.name(), Set.of());
            List<ServerConfig> kept = new ArrayList<>(servers);
            kept.removeIf(s -> gone.contains(s.name()));
            if (!kept.isEmpty()) {
                servers = kept;
            }
            if (!servers.equals(b.servers())) {
                backends.put(b.name(), b.withServers(servers));
                changed = true;
            }
        }
        added.keySet().retainAll(c.backends().keySet());
        removed.keySet().retainAll(c.backends().keySet());
        return changed ? c.withBackends(backends) : c;
    }
}
