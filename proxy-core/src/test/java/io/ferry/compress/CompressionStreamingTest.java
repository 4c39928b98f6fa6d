package io.ferry.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferry.testing.FerryHarness;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * A server-sent event stream compressed as it comes: the client inflates the first event while the
 * backend still holds the second back (it only sends it once the client has read the first), so nothing
 * waits for the end of the body.
 */
class CompressionStreamingTest {
    private static String line(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void anEventStreamIsCompressedEventByEvent() throws Exception {
        CountDownLatch firstRead = new CountDownLatch(1);
        try (ServerSocket backend = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = backend.accept()) {
                    s.setSoTimeout(15_000);
                    InputStream in = s.getInputStream();
                    while (!line(in).isEmpty()) {
                        // the request head
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write("b\r\ndata: one\n\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (firstRead.await(15, TimeUnit.SECONDS)) {
                        out.write("b\r\ndata: two\n\n\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (Exception ignored) {
                    // the test reports what it saw
                }
            });
            server.start();
            try (FerryHarness ferry = FerryHarness.proxyTo("compression.enabled = true", backend.getLocalPort());
                 Socket client = new Socket(InetAddress.getLoopbackAddress(), ferry.port())) {
                client.setSoTimeout(15_000);
                client.getOutputStream().write("GET /events HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = client.getInputStream();
                assertTrue(line(in).startsWith("HTTP/1.1 200"));
                boolean gzip = false;
                String h;
                while (!(h = line(in)).isEmpty()) {
                    gzip |= h.equalsIgnoreCase("content-encoding: gzip");
                }
                assertTrue(gzip, "compressed");
                Inflater inflater = new Inflater(true);
                StringBuilder text = new StringBuilder();
                ByteArrayOutputStream compressed = new ByteArrayOutputStream();
                boolean headerSkipped = false;
                while (!text.toString().contains("data: two")) {
                    int size = Integer.parseInt(line(in).trim(), 16);
                    if (size == 0) {
                        break;
                    }
                    compressed.write(in.readNBytes(size));
                    line(in);
                    byte[] all = compressed.toByteArray();
                    int from = 0;
                    if (!headerSkipped) {
                        if (all.length < 10) {
                            continue;
                        }
                        headerSkipped = true;
                        from = 10; // gzip's fixed header: the JDK writes no optional fields
                    }
                    inflater.setInput(all, from, all.length - from);
                    compressed.reset();
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = inflater.inflate(buf)) > 0) {
                        text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                    if (text.toString().contains("data: one") && firstRead.getCount() > 0) {
                        assertFalse(text.toString().contains("two"), "the second event is not sent yet");
                        firstRead.countDown(); // only now does the backend send the second
                    }
                }
                assertEquals("data: one\n\ndata: two\n\n", text.toString());
                inflater.end();
            }
            server.join(15_000);
        }
    }
}
