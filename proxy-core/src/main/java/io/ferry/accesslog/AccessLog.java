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
    private static final long ERROR_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Path path;
    private final int capacity;
    private final LinkedTransferQueue<String> queue = new LinkedTransferQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writerThread;
    private volatile boolean reopen;
    private volatile boolean closed;
    private Writer writer;
    /** When a write error was last logged; the writer thread's own. */
    private long lastErrorLogged = System.nanoTime() - ERROR_LOG_INTERVAL_NANOS - 1;

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
        int unflushed = 0; // lines handed to the writer since its last successful flush
        while (!closed || !queue.isEmpty()) {
            try {
                String line = queue.poll(200, TimeUnit.MILLISECONDS);
                if (reopen) {
                    reopenNow();
                }
                if (line == null) {
                    writer.flush();
                    unflushed = 0;
                    continue;
                }
                do {
                    queued.decrementAndGet();
                    unflushed++;
                    writer.write(line);
                    writer.write('\n');
                } while ((line = queue.poll()) != null);
                writer.flush();
                unflushed = 0;
            } catch (InterruptedException e) {
                // a reopen or close woke us; loop to handle it
            } catch (IOException e) {
                // Disk full, file gone unwritable: the lines in hand are lost and counted; requests never wait
                // for the log. A fresh writer drops the failed buffer; the queue fills meanwhile and drops too.
                dropped.addAndGet(unflushed);
                unflushed = 0;
                long now = System.nanoTime();
                if (now - lastErrorLogged > ERROR_LOG_INTERVAL_NANOS) { // one line per interval, not per batch
                    lastErrorLogged = now;
                    log.error("access log {}: {}; {} lines dropped so far", path == null ? "stdout" : path,
                            e.toString(), dropped.get());
                }
                freshWriter();
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

    private void freshWriter() {
        if (path == null) {
            return;
        }
        try {
            writer.close();
        } catch (IOException e) {
            // the buffer that could not be written is what we mean to drop
        }
        try {
            writer = open();
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
