package io.ferry.admin;

import io.ferry.metrics.ProxyMetrics;
import io.ferry.upstream.Backend;
import io.ferry.upstream.ServerPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The stats page's last 15 minutes: every 10 seconds, per backend and per server, the request rate, the share of
 * errors, the p99 latency and (backends) the cache hit ratio of that step. The step under way is added live, so
 * the page shows load as it happens. Counters are the running ones (server state, the metrics' backend tallies),
 * which a reload keeps; a server gone for 15 minutes leaves the history. Used on the admin event loop only.
 */
final class StatsHistory {
    static final int POINTS = 90;
    static final long STEP_MILLIS = 10_000;

    /** One line of the page: its four series in a ring, and its counters at the last step. */
    private static final class Line {
        final double[] rate = filled();
        final double[] errorPct = filled();
        final double[] p99Ms = filled();
        final double[] hitPct = filled();
        long requests;
        long errors;
        long lookups;
        long hits;
        boolean seen;

        private static double[] filled() {
            double[] a = new double[POINTS];
            Arrays.fill(a, Double.NaN);
            return a;
        }

        boolean empty() {
            for (double v : rate) {
                if (!Double.isNaN(v)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** What a line's counters read now. */
    private record Reading(long requests, long errors, long lookups, long hits, Histogram latencies) {
    }

    private final ProxyControl ferry;
    private final LongSupplier nanos;
    private final Map<String, Line> lines = new HashMap<>();
    /** Where the next step is written in every ring. */
    private int next;
    private long stepStart;

    StatsHistory(ProxyControl ferry, LongSupplier nanos) {
        this.ferry = ferry;
        this.nanos = nanos;
        this.stepStart = nanos.getAsLong();
        for (Map.Entry<String, Reading> e : readAll(false).entrySet()) {
            Line line = new Line();
            remember(line, e.getValue());
            lines.put(e.getKey(), line);
        }
    }

    /** Closes the step under way: each line gets its point, lines of servers gone get a gap. */
    void step() {
        long now = nanos.getAsLong();
        double seconds = Math.max(1e-3, (now - stepStart) / 1e9);
        Map<String, Reading> readings = readAll(true);
        for (Line line : lines.values()) {
            line.seen = false;
        }
        for (Map.Entry<String, Reading> e : readings.entrySet()) {
            Line line = lines.get(e.getKey());
            if (line == null) { // new since the last step: its counters start here
                line = new Line();
                lines.put(e.getKey(), line);
                remember(line, e.getValue());
            } else {
                double[] point = point(line, e.getValue(), seconds);
                line.rate[next] = point[0];
                line.errorPct[next] = point[1];
                line.p99Ms[next] = point[2];
                line.hitPct[next] = point[3];
                remember(line, e.getValue());
            }
            line.seen = true;
        }
        for (Iterator<Line> it = lines.values().iterator(); it.hasNext(); ) {
            Line line = it.next();
            if (!line.seen) {
                line.rate[next] = line.errorPct[next] = line.p99Ms[next] = line.hitPct[next] = Double.NaN;
                if (line.empty()) {
                    it.remove();
                }
            }
        }
        next = (next + 1) % POINTS;
        stepStart = now;
    }

    private static void remember(Line line, Reading r) {
        line.requests = r.requests;
        line.errors = r.errors;
        line.lookups = r.lookups;
        line.hits = r.hits;
    }

    /** rate (req/s), errors (% of requests), p99 (ms), hits (% of cache lookups); NaN where there is nothing. */
    private static double[] point(Line line, Reading now, double seconds) {
        long requests = Math.max(0, now.requests - line.requests);
        long errors = Math.max(0, now.errors - line.errors);
        long lookups = Math.max(0, now.lookups - line.lookups);
        long hits = Math.max(0, now.hits - line.hits);
        return new double[] {
            requests / seconds,
            requests == 0 ? Double.NaN : 100.0 * errors / requests,
            now.latencies == null || now.latencies.getTotalCount() == 0 ? Double.NaN
                    : now.latencies.getValueAtPercentile(99) / 1000.0,
            now.lookups < 0 || lookups == 0 ? Double.NaN : 100.0 * hits / lookups
        };
    }

    /** Every line's counters now: a backend by its name, a server as "backend/server". */
    private Map<String, Reading> readAll(boolean endOfStep) {
        Map<String, Reading> readings = new HashMap<>();
        for (Backend b : ferry.backends().values()) {
            Histogram merged = new Histogram(3);
            for (ServerPool s : b.servers()) {
                Histogram window = s.latencyWindow(endOfStep);
                merged.add(window);
                readings.put(b.name() + "/" + s.name(), new Reading(s.requests(), s.errors(), -1, -1, window));
            }
            ProxyMetrics.BackendTally t = ferry.metrics().tally(b.name());
            readings.put(b.name(), t == null ? new Reading(0, 0, 0, 0, merged)
                    : new Reading(t.answered.sum(), t.serverErrors.sum(), t.lookups.sum(), t.hits.sum(), merged));
        }
        return readings;
    }

    /** The history as JSON, oldest point first, the step under way last; null marks a gap. */
    String render() {
        long now = nanos.getAsLong();
        double seconds = Math.max(1e-3, (now - stepStart) / 1e9);
        Map<String, Reading> live = readAll(false);
        StringBuilder j = new StringBuilder(16384).append("{\"step_seconds\":").append(STEP_MILLIS / 1000)
                .append(",\"points\":").append(POINTS + 1).append(",\"backends\":[");
        boolean first = true;
        for (Backend b : ferry.backends().values()) {
            j.append(first ? "" : ",").append("{\"name\":").append(StatusJson.str(b.name()));
            series(j, lines.get(b.name()), live.get(b.name()), seconds, true);
            j.append(",\"servers\":[");
            List<String> servers = new ArrayList<>();
            b.servers().forEach(s -> servers.add(s.name()));
            for (int i = 0; i < servers.size(); i++) {
                String key = b.name() + "/" + servers.get(i);
                j.append(i == 0 ? "" : ",").append("{\"name\":").append(StatusJson.str(servers.get(i)));
                series(j, lines.get(key), live.get(key), seconds, false);
                j.append('}');
            }
            j.append("]}");
            first = false;
        }
        return j.append("]}\n").toString();
    }

    private void series(StringBuilder j, Line line, Reading now, double seconds, boolean withHits) {
        double[] current = line == null || now == null ? new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN}
                : point(line, now, seconds);
        array(j.append(",\"rate\":"), line == null ? null : line.rate, current[0], 1);
        array(j.append(",\"error_pct\":"), line == null ? null : line.errorPct, current[1], 2);
        array(j.append(",\"p99_ms\":"), line == null ? null : line.p99Ms, current[2], 3);
        if (withHits) {
            array(j.append(",\"hit_pct\":"), line == null ? null : line.hitPct, current[3], 1);
        }
    }

    private void array(StringBuilder j, double[] ring, double current, int decimals) {
        j.append('[');
        for (int i = 0; i < POINTS; i++) {
            number(j, ring == null ? Double.NaN : ring[(next + i) % POINTS], decimals).append(',');
        }
        number(j, current, decimals).append(']');
    }

    private static StringBuilder number(StringBuilder j, double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return j.append("null");
        }
        return j.append(String.format(java.util.Locale.ROOT, "%." + decimals + "f", v));
    }
}
