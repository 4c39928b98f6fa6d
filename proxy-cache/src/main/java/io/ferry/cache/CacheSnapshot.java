package io.ferry.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The cache written to a file and read back, so a restart or an upgrade keeps what was stored (Varnish
 * users' oldest complaint is that it does not). Each object is a record with its own CRC32 — key, Vary
 * names, status, headers, lifetimes, tags, body — and the file ends with a count; a file that is torn, of
 * another format, or whose records do not check is not used at all (never half a cache). Objects whose
 * lifetime ended meanwhile are not loaded; ages go on from where they were (the time the process was down
 * counts), so nothing is fresher than its origin said.
 */
public final class CacheSnapshot {
    private static final byte[] MAGIC = "FERRY-CACHE-SNAPSHOT\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    /** A record larger than this is not one of ours. */
    private static final int MAX_RECORD = 1 << 30;

    /** What a write or read did. */
    public record Result(int objects, long bytes, long millis) {
    }

    private CacheSnapshot() {
    }

    /** Writes every object still usable to {@code file} (by a temporary file renamed over it). */
    public static Result write(HttpCache cache, Path file) throws IOException {
        long started = System.nanoTime();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        int count = 0;
        long bytes = 0;
        long now = cache.now();
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            for (Map.Entry<CachedResponse, String[]> e : cache.storedWithVary()) {
                CachedResponse c = e.getKey();
                if (c.ageAt(now) >= c.retainMillis() + c.initialAge()) {
                    continue; // past every lifetime: the store drops it on its next look anyway
                }
                ByteBuf body = HttpCache.tryRetainBody(c);
                if (body == null) {
                    continue; // left the cache meanwhile
                }
                try {
                    byte[] record = record(c, e.getValue(), body);
                    CRC32 crc = new CRC32();
                    crc.update(record);
                    out.writeInt(record.length);
                    out.write(record);
                    out.writeLong(crc.getValue());
                    count++;
                    bytes += body.readableBytes();
                } finally {
                    body.release();
                }
            }
            out.writeInt(-1); // the end, and how many came before it
            out.writeInt(count);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Result(count, bytes, (System.nanoTime() - started) / 1_000_000);
    }

    private static byte[] record(CachedResponse c, String[] vary, ByteBuf body) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(body.readableBytes() + 512);
        DataOutputStream out = new DataOutputStream(buf);
        out.writeUTF(c.key());
        out.writeShort(vary.length);
        for (String v : vary) {
            out.writeUTF(v);
        }
        out.writeShort(c.status());
        out.writeUTF(c.reason() == null ? "" : c.reason());
        out.writeInt(c.headers().size());
        for (Map.Entry<String, String> h : c.headers()) {
            out.writeUTF(h.getKey());
            writeLong(out, h.getValue());
        }
        out.writeLong(c.storedAt());
        out.writeLong(c.initialAge());
        out.writeLong(c.ttl());
        out.writeLong(c.grace());
        out.writeLong(c.staleIfError());
        out.writeLong(c.keep());
        out.writeShort(c.tags().size());
        for (String t : c.tags()) {
            out.writeUTF(t);
        }
        out.writeInt(body.readableBytes());
        body.getBytes(body.readerIndex(), out, body.readableBytes());
        out.flush();
        return buf.toByteArray();
    }

    /** A header value may pass writeUTF's 64 KiB: its length first. */
    private static void writeLong(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readLong(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_RECORD) {
            throw new IOException("field length " + n);
        }
        return new String(in.readNBytes(n), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Reads {@code file} into {@code cache}: every record checked first, then the objects still within a
     * lifetime stored. Throws (and stores nothing) when the file is not a whole snapshot of this format.
     */
    public static Result read(HttpCache cache, Path file) throws IOException {
        long started = System.nanoTime();
        List<Map.Entry<CachedResponse, String[]>> loaded = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC) || in.readInt() != VERSION) {
                throw new IOException("not a Ferry cache snapshot of version " + VERSION);
            }
            while (true) {
                int length = in.readInt();
                if (length == -1) {
                    int count = in.readInt();
                    if (count != loaded.size() || in.read() != -1) {
                        throw new IOException("the end names " + count + " objects, " + loaded.size() + " were read");
                    }
                    break;
                }
                if (length < 0 || length > MAX_RECORD) {
                    throw new IOException("a record of " + length + " bytes");
                }
                byte[] record = in.readNBytes(length);
                if (record.length < length) {
                    throw new EOFException("torn: a record cut short");
                }
                CRC32 crc = new CRC32();
                crc.update(record);
                if (crc.getValue() != in.readLong()) {
                    throw new IOException("a record's checksum does not match");
                }
                loaded.add(parse(record));
            }
        } catch (IOException | RuntimeException e) {
            loaded.forEach(r -> r.getKey().body().release());
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
        long now = cache.now();
        int stored = 0;
        long bytes = 0;
        for (Map.Entry<CachedResponse, String[]> r : loaded) {
            CachedResponse c = r.getKey();
            long age = c.ageAt(now);
            long left = c.ttl() + Math.max(c.grace(), c.staleIfError()) + (c.hasValidators() ? c.keep() : 0) - age;
            if (left <= 0) {
                c.body().release(); // expired while Ferry was down
                continue;
            }
            bytes += c.body().readableBytes();
            // Its age goes on from now: the time the process was down counts.
            cache.restore(new CachedResponse(c.key(), c.status(), c.reason(), c.headers(), c.body(), now, age, c.ttl(),
                    c.grace(), c.staleIfError(), c.keep(), c.etag(), c.lastModified(), c.tags(), c.released(),
                    c.banChecked()), r.getValue());
            stored++;
        }
        return new Result(stored, bytes, (System.nanoTime() - started) / 1_000_000);
    }

    private static Map.Entry<CachedResponse, String[]> parse(byte[] record) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(record));
        String key = in.readUTF();
        String[] vary = new String[in.readUnsignedShort()];
        for (int i = 0; i < vary.length; i++) {
            vary[i] = in.readUTF();
        }
        int status = in.readUnsignedShort();
        String reason = in.readUTF();
        int n = in.readInt();
        if (n < 0 || n > 10_000) {
            throw new IOException(n + " headers");
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            headers.add(new AbstractMap.SimpleImmutableEntry<>(in.readUTF(), readLong(in)));
        }
        long storedAt = in.readLong();
        long initialAge = in.readLong();
        long ttl = in.readLong();
        long grace = in.readLong();
        long staleIfError = in.readLong();
        long keep = in.readLong();
        List<String> tags = new ArrayList<>();
        for (int i = in.readUnsignedShort(); i > 0; i--) {
            tags.add(in.readUTF());
        }
        int size = in.readInt();
        if (size < 0 || size != in.available()) {
            throw new IOException("a body of " + size + " bytes in a record with " + in.available() + " left");
        }
        ByteBuf body = UnpooledByteBufAllocator.DEFAULT.directBuffer(Math.max(1, size));
        body.writeBytes(in, size);
        return Map.entry(new CachedResponse(key, status, reason, List.copyOf(headers), body, storedAt, initialAge, ttl,
                grace, staleIfError, keep, HttpCache.find(headers, "etag"), HttpCache.find(headers, "last-modified"),
                List.copyOf(tags), new java.util.concurrent.atomic.AtomicBoolean(),
                new java.util.concurrent.atomic.AtomicLong()), vary);
    }
}
