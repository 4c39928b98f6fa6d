package io.ferry.admin;

import io.ferry.cache.CacheStats;
import io.ferry.cache.HttpCache;

import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import java.net.InetSocketAddress;
import java.util.Map;

/** The admin's {@code /status}: listeners, backends and servers, and the cache, as JSON. */
final class StatusJson {
    private StatusJson() {
    }

    static String render(ProxyControl ferry) {
        StringBuilder j = new StringBuilder(4096).append("{\"ready\":").append(ferry.isReady())
                .append(",\"client_connections\":").append(ferry.clientConnections()).append(",\"listeners\":[");
        boolean first = true;
        for (Map.Entry<String, InetSocketAddress> l : ferry.listenerAddresses().entrySet()) {
            j.append(first ? "" : ",").append("{\"name\":").append(str(l.getKey())).append(",\"address\":")
                    .append(str(l.getValue().toString())).append('}');
            first = false;
        }
        j.append("],\"requests_by_protocol\":{");
        first = true;
        for (Map.Entry<String, Long> p : ferry.metrics().requestsByProtocol().entrySet()) {
            j.append(first ? "" : ",").append(str(p.getKey())).append(':').append(p.getValue());
            first = false;
        }
        j.append("},\"backends\":[");
        first = true;
        for (Backend b : ferry.backends().values()) {
            j.append(first ? "" : ",").append("{\"name\":").append(str(b.name())).append(",\"type\":")
                    .append(str(b.config().type().name().toLowerCase())).append(",\"balance\":")
                    .append(str(b.config().balance().configName())).append(",\"queue\":").append(b.queueLength())
                    .append(",\"servers\":[");
            boolean firstServer = true;
            for (ServerPool s : b.servers()) {
                String state = s.isDrained() ? "drained" : s.health().isUp() ? "up" : "down";
                j.append(firstServer ? "" : ",").append("{\"name\":").append(str(s.name()))
                        .append(",\"state\":").append(str(state))
                        .append(",\"weight\":").append(s.weight())
                        .append(",\"in_flight\":").append(s.inFlight())
                        .append(",\"open_connections\":").append(s.openConnections())
                        .append(",\"idle_connections\":").append(s.idleConnections())
                        .append(",\"requests\":").append(s.requests())
                        .append(",\"errors\":").append(s.errors())
                        .append(",\"checks_passed\":").append(s.health().checksPassed())
                        .append(",\"checks_failed\":").append(s.health().checksFailed())
                        .append(",\"latency_ms\":{\"p50\":").append(ms(s.latencyMicros(50)))
                        .append(",\"p90\":").append(ms(s.latencyMicros(90)))
                        .append(",\"p99\":").append(ms(s.latencyMicros(99)))
                        .append(",\"max\":").append(ms(s.latencyMicros(100))).append("}}");
                firstServer = false;
            }
            j.append("]}");
            first = false;
        }
        j.append(']');
        HttpCache cache = ferry.cache();
        if (cache != null) {
            CacheStats c = cache.stats();
            long lookups = c.hits() + c.graceHits() + c.misses();
            j.append(",\"cache\":{\"objects\":").append(cache.objects()).append(",\"bytes\":").append(cache.bytes())
                    .append(",\"hits\":").append(c.hits()).append(",\"grace_hits\":").append(c.graceHits())
                    .append(",\"misses\":").append(c.misses()).append(",\"passes\":").append(c.passes())
                    .append(",\"evictions\":").append(c.evictions())
                    .append(",\"hit_ratio\":").append(lookups == 0 ? "0" : String.format("%.4f",
                            (c.hits() + c.graceHits()) / (double) lookups)).append('}');
        }
        return j.append("}\n").toString();
    }

    private static String ms(long micros) {
        return String.format("%.3f", micros / 1000.0);
    }

    static String str(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
