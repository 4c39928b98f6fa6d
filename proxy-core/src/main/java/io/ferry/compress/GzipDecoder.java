package io.ferry.compress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A gzip body (RFC 1952) decoded part by part for a client that does not take gzip, without blocking
 * and without holding the body: the header is parsed as its bytes arrive, then each part is inflated
 * into a buffer of its own. At most {@code limit} bytes come out: a body that inflates past it (a
 * compression bomb) fails, and the response with it.
 */
public final class GzipDecoder implements AutoCloseable {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final Inflater inflater = new Inflater(true);
    private final long limit;
    private final byte[] scratch = new byte[8192];
    private byte[] header = new byte[0]; // the header's bytes until it is whole
    private boolean inBody;
    private long produced;

    public GzipDecoder(long limit) {
        this.limit = limit;
    }

    /** The part's bytes decoded (read, not released); empty while the header is still arriving. */
    public ByteBuf decode(ByteBufAllocator alloc, ByteBuf in) throws IOException {
        byte[] input = new byte[in.readableBytes()];
        in.readBytes(input);
        int from = 0;
        if (!inBody) {
            byte[] all = new byte[header.length + input.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(input, 0, all, header.length, input.length);
            int end = headerEnd(all);
            if (end < 0) {
                header = all;
                return alloc.heapBuffer(0);
            }
            inBody = true;
            header = null;
            input = all;
            from = end;
        }
        inflater.setInput(input, from, input.length - from);
        ByteBuf out = alloc.heapBuffer(Math.max(256, (input.length - from) * 4));
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(scratch);
                if (n == 0) {
                    if (inflater.needsInput() || inflater.needsDictionary()) {
                        break;
                    }
                    continue;
                }
                produced += n;
                if (produced > limit) {
                    throw new IOException("the gzip body inflates past " + limit + " bytes");
                }
                out.writeBytes(scratch, 0, n);
            }
            return out; // what follows the deflate stream (the CRC and size) is left unread
        } catch (DataFormatException | IOException e) {
            out.release();
            throw e instanceof IOException io ? io : new IOException("not a valid gzip body: " + e.getMessage(), e);
        }
    }

    /** Where the gzip header ends in {@code b}, or -1 while it is incomplete. */
    static int headerEnd(byte[] b) throws IOException {
        if (b.length < 10) {
            return -1;
        }
        if ((b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b || b[2] != 8) {
            throw new IOException("not a gzip body");
        }
        int flags = b[3] & 0xff;
        int i = 10;
        if ((flags & FEXTRA) != 0) {
            if (b.length < i + 2) {
                return -1;
            }
            i += 2 + ((b[i] & 0xff) | (b[i + 1] & 0xff) << 8);
        }
        for (int flag : new int[] {FNAME, FCOMMENT}) {
            if ((flags & flag) != 0) {
                while (i < b.length && b[i] != 0) {
                    i++;
                }
                if (i >= b.length) {
                    return -1;
                }
                i++;
            }
        }
        if ((flags & FHCRC) != 0) {
            i += 2;
        }
        return i <= b.length ? i : -1;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
