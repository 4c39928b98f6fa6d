package io.ferry.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferry.testing.Eventually;
import io.ferry.testing.FerryHarness;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FastCGI server that says how many connections it takes (FCGI_MAX_CONNS, FastCGI 1.0 §4.1) gets
 * that as its max-conns when the config leaves max-conns out. The server here speaks just the
 * management records, over a real socket.
 */
class FastCgiLimitsTest {
    @TempDir
    Path root;

    private static void answerGetValues(Socket s, String maxConns) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = new byte[8];
        in.readFully(header);
        int length = (header[4] & 0xff) << 8 | header[5] & 0xff;
        in.readFully(new byte[length + (header[6] & 0xff)]);
        assertEquals(9, header[1], "FCGI_GET_VALUES");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] name = "FCGI_MAX_CONNS".getBytes(StandardCharsets.US_ASCII);
        byte[] value = maxConns.getBytes(StandardCharsets.US_ASCII);
        body.write(name.length);
        body.write(value.length);
        body.write(name);
        body.write(value);
        OutputStream out = s.getOutputStream();
        out.write(new byte[] {1, 10, 0, 0, 0, (byte) body.size(), 0, 0});
        out.write(body.toByteArray());
        out.flush();
    }

    @Test
    void theServersOwnAnswerBecomesMaxConns() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    answerGetValues(s, "3");
                    s.getInputStream().read(); // until Ferry closes
                } catch (IOException e) {
                    // test over
                }
            });
            t.setDaemon(true);
            t.start();
            try (FerryHarness ferry = FerryHarness.start(FerryHarness.siteConfig("""
                    backends.php { type = fastcgi, servers = [ "127.0.0.1:%d" ], fastcgi.document-root = "%s" }
                    routes = [ { backend = php } ]
                    timeouts.shutdown = 1s
                    """).formatted(server.getLocalPort(), root))) {
                var pool = ferry.server().backends().get("php").servers().get(0);
                Eventually.until("the server's answer applied", () -> pool.maxConns() == 3);
                assertEquals(3, pool.maxConns(), "FCGI_MAX_CONNS = 3");
            }
        }
    }
}
