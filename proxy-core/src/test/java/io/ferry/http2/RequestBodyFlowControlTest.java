package io.ferry.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import io.ferry.testing.RawH2Client;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A request body over HTTP/2 follows the upstream's backpressure: while the backend reads nothing, Ferry
 * stops acknowledging the stream's DATA, so the client cannot send more than the windows and the
 * buffers on the way hold — the body is never gathered in Ferry's memory — and once the backend reads,
 * the held DATA goes on in order and the client's window opens again, byte for byte.
 */
@Tag("slow")
class RequestBodyFlowControlTest {
    private static final int BODY = 32 * 1024 * 1024;
    private static final int FRAME = 16 * 1024;

    @Test
    void anUploadWaitsForABackendThatDoesNotReadThenCompletesInOrder() throws Exception {
        try (ServerSocket origin = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                FerryHarness ferry = FerryHarness.proxyTo("", origin.getLocalPort());
                RawH2Client c = RawH2Client.connect(ferry.port())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return origin.accept();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<String[]> head = RawH2Client.get("/upload");
            head.set(0, new String[] {":method", "POST"});
            head.add(new String[] {"content-length", Integer.toString(BODY)});
            int id = c.request(head, false);
            Credit credit = new Credit(c, id);

            // The backend accepts and reads nothing: the client runs out of window well before the end.
            int sent = credit.sendUntilStalled(0);
            Socket backend = accepted.get(10, TimeUnit.SECONDS);
            assertTrue(sent > 0 && sent < BODY, "sent " + sent + " of " + BODY + " before the windows closed");

            // The backend reads: the rest of the body flows, and arrives whole and in order.
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> readRequest(backend));
            sent = credit.sendUntilStalled(sent);
            assertEquals(BODY, sent, "the whole body was sent once the backend read");
            assertEquals(BODY, received.get(30, TimeUnit.SECONDS), "the backend received the whole body in order");
            OutputStream out = backend.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawH2Client.Response r = c.response(id, 10);
            assertNull(r.resetCode());
            assertEquals(200, r.status());
            assertEquals("ok", r.bodyText());
            backend.close();
        }
    }

    private static byte patternAt(long offset) {
        return (byte) (offset % 251);
    }

    /** Reads the forwarded request head, then the body, checking each byte; returns the bytes read. */
    private static long readRequest(Socket backend) {
        try {
            InputStream in = backend.getInputStream();
            ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
            while (!headBytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IllegalStateException("the request head ended early");
                }
                headBytes.write(b);
            }
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < BODY) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, BODY - got));
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buf[i] != patternAt(got + i)) {
                        throw new IllegalStateException("byte " + (got + i) + " out of order");
                    }
                }
                got += n;
            }
            return got;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The client's send windows, the connection's and the stream's, as Ferry's WINDOW_UPDATEs open them. */
    private static final class Credit {
        private final RawH2Client c;
        private final int stream;
        private long connection = 65_535;
        private long window = 65_535; // http2.initial-window-size's default

        Credit(RawH2Client c, int stream) {
            this.c = c;
            this.stream = stream;
        }

        /** Sends the body from {@code offset} while the windows allow; returns the new offset. */
        int sendUntilStalled(int offset) throws Exception {
            while (offset < BODY) {
                take(0);
                int n = (int) Math.min(FRAME, Math.min(BODY - offset, Math.min(connection, window)));
                if (n == 0 && !take(2.0)) {
                    return offset; // no window opened for two seconds: the sender is held back
                }
                if (n > 0) {
                    byte[] data = new byte[n];
                    for (int i = 0; i < n; i++) {
                        data[i] = patternAt(offset + i);
                    }
                    c.data(stream, data, offset + n == BODY);
                    offset += n;
                    connection -= n;
                    window -= n;
                }
            }
            return offset;
        }

        /** Applies the WINDOW_UPDATEs received, waiting up to {@code seconds} for one; true if any came. */
        private boolean take(double seconds) throws InterruptedException {
            boolean any = false;
            RawH2Client.Frame f;
            while ((f = c.next(0, 0)) != null) {
                any |= apply(f);
            }
            while ((f = c.next(stream, 0)) != null) {
                any |= apply(f);
            }
            if (!any && seconds > 0) {
                long until = System.nanoTime() + (long) (seconds * 1e9);
                while (!any && System.nanoTime() < until) {
                    f = c.next(0, 0.001);
                    if (f == null) {
                        f = c.next(stream, 0);
                    }
                    if (f != null) {
                        any = apply(f);
                    }
                }
            }
            return any;
        }

        private boolean apply(RawH2Client.Frame f) {
            if (f.type() != RawH2Client.WINDOW_UPDATE) {
                return false;
            }
            int increment = ByteBuffer.wrap(f.payload()).getInt() & 0x7fffffff;
            if (f.stream() == 0) {
                connection += increment;
            } else {
                window += increment;
            }
            return true;
        }
    }
}
