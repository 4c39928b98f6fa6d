package io.ferry.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * A bounded load for drills: a few clients, each on one keepalive connection, sending requests back to
 * back until {@link #stop}. Counts answers by status and body, failures, and dropped connections (a
 * connection that broke; the client reconnects and goes on). Stops by itself after {@code maxSeconds}.
 */
public final class KeepAliveLoad implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder ok = new LongAdder();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final Map<String, LongAdder> bodies = new ConcurrentHashMap<>();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong maxLatencyNanos = new AtomicLong();
    private volatile boolean stopped;

    /**
     * @param request the raw request a client sends as its i-th (a full HTTP/1.1 request text)
     */
    public KeepAliveLoad(int port, int clients, long maxSeconds, IntFunction<String> request) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> run(port, deadline, request), "load-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run(int port, long deadline, IntFunction<String> request) {
        RawClient client = null;
        int i = 0;
        while (!stopped && System.nanoTime() < deadline) {
            try {
                if (client == null) {
                    client = new RawClient(port);
                }
                long start = System.nanoTime();
                client.send(request.apply(i++));
                RawClient.Response r = client.read();
                maxLatencyNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                if (r.status() == 200) {
                    ok.increment();
                    bodies.computeIfAbsent(r.bodyText(), k -> new LongAdder()).increment();
                } else {
                    failed.incrementAndGet();
                    failures.add(r.status() + " " + r.bodyText().trim());
                }
                if ("close".equalsIgnoreCase(r.header("connection"))) {
                    client.close();
                    client = null;
                }
            } catch (IOException e) {
                failed.incrementAndGet();
                dropped.incrementAndGet();
                failures.add(e.toString());
                closeQuietly(client);
                client = null;
            }
        }
        closeQuietly(client);
    }

    private static void closeQuietly(RawClient c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // going away anyway
            }
        }
    }

    /** Stops the clients and waits for them. */
    public void stop() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            t.join(30_000);
        }
    }

    public long ok() {
        return ok.sum();
    }

    public int failed() {
        return failed.get();
    }

    public int dropped() {
        return dropped.get();
    }

    /** How many 200 answers carried each body (which origin answered, say). */
    public Map<String, Long> bodies() {
        Map<String, Long> m = new java.util.TreeMap<>();
        bodies.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** The first few failures, for an assertion message. */
    public List<String> someFailures() {
        synchronized (failures) {
            return List.copyOf(failures.subList(0, Math.min(5, failures.size())));
        }
    }

    public long maxLatencyMillis() {
        return TimeUnit.NANOSECONDS.toMillis(maxLatencyNanos.get());
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
