package io.ferry.upstream;

import io.ferry.config.BackendConfig;
import io.ferry.config.FerryConfig;
import io.ferry.config.ServerConfig;
import io.ferry.transport.Transport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** All backends of one configuration, with their connection pools. */
public final class Upstreams {
    private final Map<String, Backend> backends;

    public Upstreams(FerryConfig config, Transport transport) {
        Map<String, Backend> map = new LinkedHashMap<>();
        for (BackendConfig b : config.backends().values()) {
            List<ServerPool> pools = new ArrayList<>();
            for (ServerConfig s : b.servers()) {
                pools.add(new ServerPool(s, b.pool(), transport, config.limits(), b.connectTimeout()));
            }
            map.put(b.name(), new Backend(b, pools));
        }
        this.backends = Map.copyOf(map);
    }

    public Backend backend(String name) {
        Backend b = backends.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no backend " + name);
        }
        return b;
    }

    public Map<String, Backend> all() {
        return backends;
    }
}
