package io.ferry.fastcgi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Writes FastCGI records (FastCGI 1.0 §3.3, §3.4, §5.1). Pure byte work, no policy. */
public final class FcgiEncoding {
    private FcgiEncoding() {
    }

    static void writeHeader(ByteBuf out, int type, int requestId, int contentLength, int padding) {
        out.writeByte(FcgiRecord.VERSION_1);
        out.writeByte(type);
        out.writeShort(requestId);
        out.writeShort(contentLength);
        out.writeByte(padding);
        out.writeByte(0);
    }

    /** Padding that brings content to a multiple of 8 bytes, as the specification recommends. */
    static int paddingFor(int contentLength) {
        return (8 - (contentLength & 7)) & 7;
    }

    /** BEGIN_REQUEST for the responder role, asking the application to keep the connection open. */
    public static ByteBuf beginRequest(ByteBufAllocator alloc, int requestId, boolean keepConnection) {
        ByteBuf out = alloc.buffer(16);
        writeHeader(out, FcgiRecord.BEGIN_REQUEST, requestId, 8, 0);
        out.writeShort(FcgiRecord.RESPONDER);
        out.writeByte(keepConnection ? FcgiRecord.KEEP_CONN : 0);
        out.writeZero(5);
        return out;
    }

    /**
     * All PARAMS records for the given name-value pairs, followed by the empty PARAMS record that
     * ends the stream. Pairs are split over records of at most 64 KiB.
     */
    public static ByteBuf params(ByteBufAllocator alloc, int requestId, List<Map.Entry<String, String>> params) {
        return pairRecords(alloc, FcgiRecord.PARAMS, requestId, params, true);
    }

    /** Name-value pairs (§3.4) in records of {@code type}, at most 64 KiB each; {@code end}: an empty one follows. */
    private static ByteBuf pairRecords(ByteBufAllocator alloc, int type, int requestId,
                                       List<Map.Entry<String, String>> pairs, boolean end) {
        ByteBuf body = alloc.buffer(1024);
        ByteBuf out = alloc.buffer(1024 + 64);
        try {
            for (Map.Entry<String, String> p : pairs) {
                byte[] name = p.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] value = p.getValue().getBytes(StandardCharsets.UTF_8);
                writeLength(body, name.length);
                writeLength(body, value.length);
                body.writeBytes(name).writeBytes(value);
            }
            while (body.isReadable()) {
                int n = Math.min(body.readableBytes(), FcgiRecord.MAX_CONTENT);
                int padding = paddingFor(n);
                writeHeader(out, type, requestId, n, padding);
                out.writeBytes(body, n).writeZero(padding);
            }
            if (end) {
                writeHeader(out, type, requestId, 0, 0);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            body.release();
        }
    }

    /** A GET_VALUES management record (§4.1) asking for the named variables. */
    public static ByteBuf getValues(ByteBufAllocator alloc, List<String> names) {
        List<Map.Entry<String, String>> pairs = new java.util.ArrayList<>(names.size());
        for (String n : names) {
            pairs.add(Map.entry(n, ""));
        }
        return pairRecords(alloc, FcgiRecord.GET_VALUES, 0, pairs, false);
    }

    /** The name-value pairs of a record's content (§3.4), such as a GET_VALUES_RESULT's. */
    public static Map<String, String> readPairs(ByteBuf content) {
        Map<String, String> pairs = new java.util.LinkedHashMap<>();
        ByteBuf in = content.duplicate();
        while (in.isReadable()) {
            int nameLength = readLength(in);
            int valueLength = readLength(in);
            if (nameLength < 0 || valueLength < 0 || in.readableBytes() < nameLength + valueLength) {
                break; // malformed: keep what was read
            }
            String name = in.readCharSequence(nameLength, StandardCharsets.US_ASCII).toString();
            pairs.put(name, in.readCharSequence(valueLength, StandardCharsets.US_ASCII).toString());
        }
        return pairs;
    }

    private static int readLength(ByteBuf in) {
        if (!in.isReadable()) {
            return -1;
        }
        if ((in.getUnsignedByte(in.readerIndex()) & 0x80) == 0) {
            return in.readUnsignedByte();
        }
        return in.readableBytes() < 4 ? -1 : in.readInt() & 0x7fffffff;
    }

    /** §3.4: lengths below 128 take one byte, longer ones four with the top bit set. */
    static void writeLength(ByteBuf out, int length) {
        if (length < 128) {
            out.writeByte(length);
        } else {
            out.writeInt(length | 0x80000000);
        }
    }

    /** The header of a STDIN record of {@code length} bytes; the content follows, then {@link #padding}. */
    public static ByteBuf stdinHeader(ByteBufAllocator alloc, int requestId, int length) {
        ByteBuf out = alloc.buffer(FcgiRecord.HEADER_LENGTH);
        writeHeader(out, FcgiRecord.STDIN, requestId, length, paddingFor(length));
        return out;
    }

    /** The empty STDIN record that ends the request body. */
    public static ByteBuf endOfStdin(ByteBufAllocator alloc, int requestId) {
        ByteBuf out = alloc.buffer(FcgiRecord.HEADER_LENGTH);
        writeHeader(out, FcgiRecord.STDIN, requestId, 0, 0);
        return out;
    }
}
