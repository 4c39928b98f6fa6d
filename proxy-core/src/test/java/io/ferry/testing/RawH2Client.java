package io.ferry.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/2 client over a plain socket that writes exactly the frames a test asks for — including the
 * malformed ones no real client sends — with header blocks HPACK-encoded by hand (literal fields, no
 * Huffman, nothing validated). Responses are decoded with Netty's HPACK decoder. It acknowledges the
 * server's SETTINGS and PINGs and returns flow-control credit for every DATA frame it reads, except on
 * streams the test has {@link #stall stalled}.
 */
public final class RawH2Client implements AutoCloseable {
    public static final int DATA = 0;
    public static final int HEADERS = 1;
    public static final int PRIORITY = 2;
    public static final int RST_STREAM = 3;
    public static final int SETTINGS = 4;
    public static final int PING = 6;
    public static final int GOAWAY = 7;
    public static final int WINDOW_UPDATE = 8;
    public static final int CONTINUATION = 9;
    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;

    /** One frame as read; for HEADERS the decoded fields. */
    public record Frame(int type, int flags, int stream, byte[] payload, Http2Headers headers) {
        public boolean endStream() {
            return (flags & END_STREAM) != 0 && (type == DATA || type == HEADERS);
        }

        /** The error code of a RST_STREAM or GOAWAY. */
        public long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }
    }

    /** A response as read: its head, body bytes, and how the stream ended. */
    public record Response(Http2Headers headers, byte[] body, Http2Headers trailers, Long resetCode) {
        public int status() {
            return headers == null ? -1 : Integer.parseInt(headers.status().toString());
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    /** Frames by stream (0: the connection's own). */
    private final Map<Integer, LinkedBlockingQueue<Frame>> frames = new ConcurrentHashMap<>();
    private volatile Frame goAway;
    private final CountDownLatch goAwaySeen = new CountDownLatch(1);
    private final CountDownLatch settingsAcknowledged = new CountDownLatch(1);
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 1 << 20); // announces no SETTINGS_MAX_HEADER_LIST_SIZE
    private final Set<Integer> stalled = ConcurrentHashMap.newKeySet();
    private final AtomicLong dataBytes = new AtomicLong();
    private final Thread reader;
    private volatile boolean closed;
    private int nextStream = 1;
    /** What this client announced (default 16 KiB): a larger frame from the server ends the connection. */
    private final long maxFrameSize;

    private RawH2Client(Socket socket, Map<Integer, Long> settings) throws IOException {
        this.socket = socket;
        this.maxFrameSize = settings.getOrDefault(0x5, 16_384L);
        this.out = socket.getOutputStream();
        socket.setSoTimeout(0);
        socket.setTcpNoDelay(true);
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        settings.forEach((id, value) -> {
            s.write(id >> 8);
            s.write(id);
            for (int shift = 24; shift >= 0; shift -= 8) {
                s.write((int) (value >> shift));
            }
        });
        frame(SETTINGS, 0, 0, s.toByteArray());
        reader = new Thread(this::readLoop, "raw-h2-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Waits until the reader has acknowledged the server's SETTINGS. A test that leaves a header block open
     * across frames must: the acknowledgement written in the middle of the block is a connection error
     * (PROTOCOL_ERROR, RFC 9113 §6.10), not the one the test is after.
     */
    public void awaitSettingsAcknowledged(int seconds) throws InterruptedException {
        if (!settingsAcknowledged.await(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("the server's SETTINGS did not arrive within " + seconds + " s");
        }
    }

    public static RawH2Client connect(int port) throws IOException {
        return connect(port, Map.of());
    }

    /** Connects with these SETTINGS (id to value), e.g. 0x4 INITIAL_WINDOW_SIZE. */
    public static RawH2Client connect(int port, Map<Integer, Long> settings) throws IOException {
        return new RawH2Client(new Socket("127.0.0.1", port), settings);
    }

    /** The usual request head for a GET of {@code path}, as ordered field pairs. */
    public static List<String[]> get(String path) {
        List<String[]> h = new ArrayList<>();
        h.add(new String[] {":method", "GET"});
        h.add(new String[] {":scheme", "http"});
        h.add(new String[] {":path", path});
        h.add(new String[] {":authority", "site.test"});
        return h;
    }

    public int nextStreamId() {
        int id = nextStream;
        nextStream += 2;
        return id;
    }

    /** Sends a request head on a new stream; returns its id. */
    public int request(List<String[]> fields, boolean endStream) throws IOException {
        int id = nextStreamId();
        headers(id, fields, END_HEADERS | (endStream ? END_STREAM : 0));
        return id;
    }

    public void headers(int stream, List<String[]> fields, int flags) throws IOException {
        frame(HEADERS, flags, stream, hpack(fields));
    }

    public void data(int stream, byte[] bytes, boolean endStream) throws IOException {
        frame(DATA, endStream ? END_STREAM : 0, stream, bytes);
    }

    public void rst(int stream, int code) throws IOException {
        frame(RST_STREAM, 0, stream, int32(code));
    }

    public void windowUpdate(int stream, int increment) throws IOException {
        frame(WINDOW_UPDATE, 0, stream, int32(increment));
    }

    /**
     * This stream gets no WINDOW_UPDATE from here on: its window closes once the server has sent it full.
     * Stream 0 is the connection's window, which then closes once the server has sent 65 535 bytes of DATA.
     */
    public void stall(int stream) {
        stalled.add(stream);
    }

    /** DATA payload bytes received on every stream so far. */
    public long dataBytes() {
        return dataBytes.get();
    }

    public synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] head = {(byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length,
                (byte) type, (byte) flags, (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8),
                (byte) stream};
        byte[] frame = java.util.Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, frame, head.length, payload.length);
        out.write(frame); // one write: no Nagle wait between a frame's head and its payload
        out.flush();
    }

    /** {@code count} copies of one frame in a single write, as a flood arrives: many frames per read. */
    public synchronized void repeated(int count, int type, int flags, int stream, byte[] payload) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream(count * (9 + payload.length));
        for (int i = 0; i < count; i++) {
            all.write(payload.length >> 16);
            all.write(payload.length >> 8);
            all.write(payload.length);
            all.write(type);
            all.write(flags);
            all.write(stream >> 24);
            all.write(stream >> 16);
            all.write(stream >> 8);
            all.write(stream);
            all.write(payload, 0, payload.length);
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /** Literal header fields without indexing, new names, no Huffman (RFC 7541 §6.2.2). */
    public static byte[] hpack(List<String[]> fields) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String[] f : fields) {
            b.write(0x00);
            string(b, f[0].getBytes(StandardCharsets.ISO_8859_1));
            string(b, f[1].getBytes(StandardCharsets.ISO_8859_1));
        }
        return b.toByteArray();
    }

    private static void string(ByteArrayOutputStream b, byte[] s) {
        int len = s.length;
        if (len < 127) {
            b.write(len);
        } else {
            b.write(127);
            len -= 127;
            while (len >= 128) {
                b.write((len & 0x7f) | 0x80);
                len >>>= 7;
            }
            b.write(len);
        }
        b.writeBytes(s);
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v};
    }

    private LinkedBlockingQueue<Frame> queue(int stream) {
        return frames.computeIfAbsent(stream, k -> new LinkedBlockingQueue<>());
    }

    /** The next frame of stream {@code stream} (0: connection frames), or null after {@code seconds}. */
    public Frame next(int stream, double seconds) throws InterruptedException {
        return queue(stream).poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    }

    /** The frames of stream {@code stream} received and not yet taken with {@link #next}. */
    public List<Frame> framesOn(int stream) {
        return List.copyOf(queue(stream));
    }

    /**
     * Reads stream {@code id} until it ends (END_STREAM or RST_STREAM, whose code the response carries)
     * or a GOAWAY ends the connection (resetCode is then minus the GOAWAY code minus 1).
     */
    public Response response(int id, double seconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        Http2Headers head = null;
        Http2Headers trailers = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        LinkedBlockingQueue<Frame> q = queue(id);
        while (System.nanoTime() < deadline) {
            boolean ending = closed || goAway != null && id > lastStreamId(goAway); // read before polling
            Frame f = q.poll(20, TimeUnit.MILLISECONDS);
            if (f == null) {
                if (!ending) {
                    continue;
                }
                if (goAway == null) {
                    throw new AssertionError("connection closed before stream " + id + " ended");
                }
                return new Response(head, body.toByteArray(), trailers, -goAway.errorCode() - 1);
            }
            if (f.type == RST_STREAM) {
                return new Response(head, body.toByteArray(), trailers, f.errorCode());
            }
            if (f.type == HEADERS) {
                String status = f.headers.status() == null ? null : f.headers.status().toString();
                if (head == null && status != null && status.startsWith("1")) {
                    continue; // interim
                }
                if (head == null) {
                    head = f.headers;
                } else {
                    trailers = f.headers;
                }
            } else if (f.type == DATA) {
                body.writeBytes(f.payload);
            }
            if (f.endStream()) {
                return new Response(head, body.toByteArray(), trailers, null);
            }
        }
        throw new AssertionError("stream " + id + " did not end within " + seconds + " s");
    }

    private static int lastStreamId(Frame goAway) {
        byte[] p = goAway.payload;
        return (p[0] & 0x7f) << 24 | (p[1] & 0xff) << 16 | (p[2] & 0xff) << 8 | (p[3] & 0xff);
    }

    /** Waits for a GOAWAY; null after {@code seconds}. */
    public Frame goAway(double seconds) throws InterruptedException {
        goAwaySeen.await((long) (seconds * 1e9), TimeUnit.NANOSECONDS);
        return goAway;
    }

    /** True once the server has closed the connection. */
    public boolean closedByServer() {
        return closed;
    }

    private void readLoop() {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            ByteArrayOutputStream block = null;
            int blockStream = 0;
            int blockFlags = 0;
            while (true) {
                int len = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                if (len > maxFrameSize) { // RFC 9113 §4.2: a FRAME_SIZE_ERROR; the test sees the connection end
                    throw new IOException("a frame of " + len + " bytes, over SETTINGS_MAX_FRAME_SIZE " + maxFrameSize);
                }
                byte[] payload = new byte[len];
                in.readFully(payload);
                if (type == SETTINGS && (flags & 1) == 0) {
                    frame(SETTINGS, 1, 0, new byte[0]);
                    settingsAcknowledged.countDown();
                } else if (type == PING && (flags & 1) == 0) {
                    frame(PING, 1, 0, payload);
                } else if (type == DATA && len > 0) {
                    dataBytes.addAndGet(len);
                    if (!stalled.contains(0)) {
                        windowUpdate(0, len);
                    }
                    if (!stalled.contains(stream) && (flags & END_STREAM) == 0) {
                        windowUpdate(stream, len);
                    }
                }
                if (type == HEADERS || type == CONTINUATION) {
                    if (type == HEADERS) {
                        block = new ByteArrayOutputStream();
                        blockStream = stream;
                        blockFlags = flags;
                        int at = 0;
                        int padLength = 0;
                        if ((flags & 0x8) != 0) {
                            padLength = payload[0] & 0xff;
                            at = 1;
                        }
                        if ((flags & 0x20) != 0) {
                            at += 5;
                        }
                        block.write(payload, at, payload.length - at - padLength);
                    } else {
                        block.writeBytes(payload);
                    }
                    if ((flags & END_HEADERS) != 0) {
                        queue(blockStream).add(new Frame(HEADERS, blockFlags, blockStream, new byte[0],
                                decode(blockStream, block)));
                    }
                    continue;
                }
                Frame f = new Frame(type, flags, stream, payload, null);
                if (type == GOAWAY) {
                    goAway = f;
                    goAwaySeen.countDown();
                }
                queue(stream).add(f);
            }
        } catch (IOException | Http2Exception e) {
            closed = true;
        }
    }

    private Http2Headers decode(int stream, ByteArrayOutputStream block) throws Http2Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(block.toByteArray());
        try {
            return decoder.decodeHeaders(stream, buf);
        } finally {
            buf.release();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
