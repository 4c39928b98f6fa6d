package io.ferry.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The openssl command-line client against a loopback TLS port: what a handshake shows, the ticket it got. */
public final class OpenSslClient {
    private OpenSslClient() {
    }

    /** openssl s_client against 127.0.0.1:port with {@code args}, sending {@code request} (or nothing). */
    public static String sClient(int port, String request, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
        if (request != null) {
            cmd.add("-ign_eof"); // wait for the response (Connection: close ends it); without a request, end at once
        }
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write((request == null ? "" : request).getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "s_client did not end");
        return out;
    }

    /**
     * The name of the key a fresh TLS 1.2 ticket from the listener on {@code port} is encrypted with: the
     * ticket's first 16 bytes. The session is written to a file in {@code dir}.
     */
    public static String ticketKeyName(int port, Path dir) throws Exception {
        Path session = Files.createTempFile(dir, "ticket", ".pem");
        assertTrue(sClient(port, null, "-tls1_2", "-sess_out", session.toString()).contains("New, TLSv1.2"));
        Process p = new ProcessBuilder("openssl", "sess_id", "-in", session.toString(), "-noout", "-text")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        int at = out.indexOf("TLS session ticket:");
        assertTrue(at >= 0, "no ticket: " + out);
        String[] lines = out.substring(at).split("\n");
        // "    0000 - 20 63 c9 3b 62 be 58 ad-86 b1 fa b9 32 36 44 29    c.;b.X.....26D)"
        return lines[1].trim().substring(7, 54);
    }
}
