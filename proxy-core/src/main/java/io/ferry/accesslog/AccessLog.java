package io.ferry.accesslog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes access log lines on its own thread, so an event loop only formats a line and hands it over
 * (a lock-free queue). When the queue is full — the disk cannot keep up — lines are dropped and
 * counted rather than ever blocking a request. {@link #reopen} closes and reopens the file for
 * logrotate (SIGUSR1 or the admin endpoint).
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);

    private final Path path;
    private final int capacity;
    private final LinkedTransferQueue<String> queue = new LinkedTransferQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writerThread;
    private volatile boolean reopen;
    private volatile boolean closed;
    private Writer writer;

    /** @param path a file, or null for standard output */
    public AccessLog(Path path, int capacity) throws IOException {
        this.path = path;
        this.capacity = capacity;
        this.writer = open();
        this.writerThread = new Thread(this::drain, "ferry-access-log");
        writerThread.setDaemon(true);
        writerThread.start();
    }

    private Writer open() throws IOException {
        if (path == null) {
            return new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 64 * 1024);
        }
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        return Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Hands a line (without newline) to the writer; never blocks. */
    public void log(String line) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        queue.offer(line);
    }

    public long dropped() {
        return dropped.get();
    }

    /** Reopens the file on the writer thread (after logrotate moved it). */
    public void reopen() {
        reopen = true;
        writerThread.interrupt();
    }

    private void drain() {
        while (!closed || !queue.isEmpty()) {
            try {
                String line = queue.poll(200, TimeUnit.MILLISECONDS);
                if (reopen) {
                    reopenNow();
                }
                if (line == null) {
                    writer.flush();
                    continue;
                }
                do {
                    queued.decrementAndGet();
                    writer.write(line);
                    writer.write('\n');
                } while ((line = queue.poll()) != null);
                writer.flush();
            } catch (InterruptedException e) {
                // a reopen or close woke us; loop to handle it
            } catch (IOException e) {
                log.error("access log {}: {}", path == null ? "stdout" : path, e.toString());
                sleepQuietly();
            }
        }
        try {
            writer.flush();
            if (path != null) {
                writer.close();
            }
        } catch (IOException e) {
            log.error("access log {}: {}", path, e.toString());
        }
    }

    private void reopenNow() {
        reopen = false;
        if (path == null) {
            return;
        }
        try {
            writer.close();
        } catch (IOException e) {
            log.warn("access log {}: closing for reopen: {}", path, e.toString());
        }
        try {
            writer = open();
            log.info("access log {} reopened", path);
        } catch (IOException e) {
            log.error("access log {}: cannot reopen: {}", path, e.toString());
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        writerThread.interrupt();
        try {
            writerThread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
