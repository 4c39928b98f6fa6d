package io.ferry.bench.load;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Command line of the load generator:
 * <pre>
 * java -cp proxy-bench/target/benchmarks.jar io.ferry.bench.load.LoadMain URL
 *      [-c connections] [-t threads] [-d 30s | -n requests] [-R rate/s] [--timeout 10s]
 *      [--warmup 10s] [-H "Name: value"]... [--server-pid PID]... [--hgrm file.hgrm] [--html plot.html]
 * </pre>
 * Prints throughput, errors by kind and latency percentiles; optionally writes HdrHistogram's
 * percentile distribution and a self-contained HTML plot of it.
 */
public final class LoadMain {
    private LoadMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println("usage: LoadMain URL [-c 50] [-t 1] [-d 10s | -n N] [-R rate] [--timeout 10s] "
                    + "[--warmup 0s] [-H \"Name: value\"]... [--server-pid PID]... [--hgrm out.hgrm] [--html out.html]");
            return;
        }
        URI uri = URI.create(args[0]);
        int connections = 50;
        int threads = 1;
        long duration = Duration.ofSeconds(10).toNanos();
        long requests = 0;
        double rate = 0;
        long timeout = Duration.ofSeconds(10).toNanos();
        long warmup = 0;
        Path hgrm = null;
        Path html = null;
        HttpHeaders headers = new DefaultHttpHeaders();
        List<Long> serverPids = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "-c" -> connections = Integer.parseInt(v);
                case "-t" -> threads = Integer.parseInt(v);
                case "-d" -> {
                    duration = parseDuration(v);
                    requests = 0;
                }
                case "-n" -> {
                    requests = Long.parseLong(v);
                    duration = 0;
                }
                case "-R" -> rate = Double.parseDouble(v);
                case "--timeout" -> timeout = parseDuration(v);
                case "--warmup" -> warmup = parseDuration(v);
                case "--hgrm" -> hgrm = Path.of(v);
                case "--html" -> html = Path.of(v);
                case "-H", "--header" -> addHeader(headers, v);
                case "--server-pid" -> serverPids.add(Long.parseLong(v));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
            i++;
        }
        LoadGenerator.Result r = new LoadGenerator(new LoadGenerator.Options(uri, connections, threads, duration, requests,
                rate, timeout, warmup, headers, serverPids)).run();
        report(r, rate, System.out);
        if (hgrm != null) {
            writeHgrm(r.latency(), hgrm);
        }
        if (html != null) {
            writeHtml(r.latency(), html, uri + " · " + connections + " connections" + (rate > 0 ? " · " + rate + " req/s" : ""));
        }
    }

    /** "Name: value", as curl's and wrk's -H take it. */
    static void addHeader(HttpHeaders headers, String line) {
        int colon = line == null ? -1 : line.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("-H wants \"Name: value\", got " + line);
        }
        headers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
    }

    static long parseDuration(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))).toNanos();
        }
        if (t.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1))).toNanos();
        }
        if (t.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1))).toNanos();
        }
        return Duration.ofSeconds(Long.parseLong(t)).toNanos();
    }

    static void report(LoadGenerator.Result r, double rate, PrintStream out) {
        Histogram h = r.latency();
        out.printf(Locale.ROOT, "requests %d in %.2f s: %.1f req/s%s%n", r.requests(), r.seconds(), r.throughput(),
                rate > 0 ? String.format(Locale.ROOT, " (target %.0f req/s, latency corrected for coordinated omission)", rate) : "");
        if (!Double.isNaN(r.cpuShare())) {
            out.printf(Locale.ROOT, "generator CPU while measuring: %.0f %% of one core%s%n", 100 * r.cpuShare(),
                    r.warmupRequests() > 0 ? "; " + r.warmupRequests() + " more requests in the warm-up" : "");
        }
        if (!Double.isNaN(r.serverCpuShare())) {
            out.printf(Locale.ROOT, "server CPU while measuring: %.0f %% of one core, %.1f µs per request%n",
                    100 * r.serverCpuShare(), r.requests() > 0 ? r.serverCpuShare() * r.seconds() * 1e6 / r.requests() : 0.0);
        }
        out.printf(Locale.ROOT, "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
        Histogram n = r.requestsPerConnection();
        Histogram p99 = r.p99PerConnection();
        if (n.getTotalCount() > 1) {
            out.printf(Locale.ROOT, "per connection (%d): requests min %d  p1 %d  p50 %d  p99 %d  max %d;"
                            + " own p99 ms: p50 %.3f  p99 %.3f  max %.3f%n", n.getTotalCount(), n.getMinValue(),
                    n.getValueAtPercentile(1), n.getValueAtPercentile(50), n.getValueAtPercentile(99), n.getMaxValue(),
                    p99.getValueAtPercentile(50) / 1000.0, p99.getValueAtPercentile(99) / 1000.0, p99.getMaxValue() / 1000.0);
        }
        if (r.errors().isEmpty()) {
            out.println("errors: none");
        } else {
            StringBuilder sb = new StringBuilder("errors:");
            for (Map.Entry<String, LongAdder> e : r.errors().entrySet()) {
                sb.append(' ').append(e.getKey()).append('=').append(e.getValue().sum());
            }
            out.println(sb);
        }
    }

    /** HdrHistogram's percentile distribution, values in milliseconds (as wrk2 and the plotter expect). */
    static void writeHgrm(Histogram h, Path file) throws IOException {
        try (PrintStream ps = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
            h.outputPercentileDistribution(ps, 1000.0);
        }
    }

    /** A self-contained HTML page with an SVG plot of latency by percentile (log scale, as HdrHistogram's plotter). */
    static void writeHtml(Histogram h, Path file, String title) throws IOException {
        StringBuilder points = new StringBuilder();
        double maxMs = Math.max(0.001, h.getMaxValue() / 1000.0);
        for (HistogramIterationValue v : h.percentiles(5)) {
            double pct = Math.min(v.getPercentileLevelIteratedTo(), 99.9999);
            double x = Math.log10(100.0 / (100.0 - pct)) / 6.0 * 900 + 60;
            double y = 460 - (v.getValueIteratedTo() / 1000.0) / maxMs * 420;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        StringBuilder ticks = new StringBuilder();
        String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        for (int i = 0; i < labels.length; i++) {
            double x = 60 + i * 150;
            ticks.append(String.format(Locale.ROOT, "<line x1='%.0f' y1='40' x2='%.0f' y2='460' stroke='#eee'/>"
                    + "<text x='%.0f' y='480' font-size='12' text-anchor='middle'>%s</text>", x, x, x, labels[i]));
        }
        String html = "<!doctype html><html><head><meta charset='utf-8'><title>latency</title></head><body style='font-family:sans-serif'>"
                + "<h3>" + title.replace("<", "&lt;") + "</h3>"
                + "<svg width='1000' height='500' xmlns='http://www.w3.org/2000/svg'>" + ticks
                + "<line x1='60' y1='460' x2='960' y2='460' stroke='#333'/><line x1='60' y1='40' x2='60' y2='460' stroke='#333'/>"
                + String.format(Locale.ROOT, "<text x='5' y='45' font-size='12'>%.2f ms</text><text x='5' y='460' font-size='12'>0</text>", maxMs)
                + "<polyline fill='none' stroke='#0a6' stroke-width='2' points='" + points + "'/></svg>"
                + String.format(Locale.ROOT, "<p>p50 %.3f ms · p99 %.3f ms · p99.9 %.3f ms · max %.3f ms · %d samples</p>",
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                        h.getValueAtPercentile(99.9) / 1000.0, maxMs, h.getTotalCount())
                + "</body></html>\n";
        Files.writeString(file, html);
    }
}
