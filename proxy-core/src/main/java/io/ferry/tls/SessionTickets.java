package io.ferry.tls;

import io.ferry.config.TlsConfig;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session ticket keys of one TLS listener (RFC 5077; TLS 1.3 resumption uses tickets too). Without a key
 * file Ferry makes a random key every {@code rotate} and keeps the two before it for decryption, so a
 * ticket resumes for two to three periods and a stolen key exposes little. With a key file (the same
 * file on every server of a fleet, as nginx's ssl_session_ticket_key) the file's keys are used as they
 * are — the first encrypts — and re-read on reload; rotating them is the fleet's job.
 */
public final class SessionTickets {
    private static final Logger log = LoggerFactory.getLogger(SessionTickets.class);
    private static final int KEY_BYTES = 48;
    private static final int KEPT = 3;

    private final TlsConfig.Tickets config;
    private final String listener;
    private final SecureRandom random = new SecureRandom();
    private final Deque<OpenSslSessionTicketKey> generated = new ArrayDeque<>();
    private volatile OpenSslSessionTicketKey[] keys;
    private ServerTls serving; // the contexts a rotation updates: the ones the latest applyTo named

    public SessionTickets(TlsConfig.Tickets config, String listener) {
        this.config = config;
        this.listener = listener;
        this.keys = config.keyFile() != null ? fromFile() : next();
    }

    /** What these keys were made from: a reload that changes it gets new ones. */
    public TlsConfig.Tickets settings() {
        return config;
    }

    /** How often {@link #rotate} should run; it does nothing with a key file. */
    public long rotateMillis() {
        return config.rotate().toMillis();
    }

    /**
     * A new encryption key, put into the contexts the latest {@link #applyTo} named; the oldest kept one is
     * dropped. One lock with applyTo: a reload that hands new contexts over while a rotation runs cannot
     * leave them with the keys from before it.
     */
    public synchronized void rotate() {
        if (config.keyFile() == null) {
            keys = next();
            if (serving != null) {
                put(serving);
            }
        }
    }

    /** The listener is gone (a reload removed it): rotations go on for its return but update no contexts. */
    public synchronized void detach() {
        serving = null;
    }

    /** Re-reads the key file (a reload). */
    public synchronized void reload() {
        if (config.keyFile() != null) {
            keys = fromFile();
        }
    }

    /**
     * Puts the current keys into each of the listener's contexts (BoringSSL; the JDK provider has no tickets
     * API), and every later rotation's keys too.
     */
    public synchronized void applyTo(ServerTls tls) {
        serving = tls;
        put(tls);
    }

    private void put(ServerTls tls) {
        for (SslContext ctx : tls.contexts()) {
            if (ctx.sessionContext() instanceof OpenSslSessionContext openssl) {
                openssl.setTicketKeys(keys);
                // A ticket is worth no more than the keys that can still decrypt it.
                ctx.sessionContext().setSessionTimeout((int) Math.min(Integer.MAX_VALUE,
                        config.rotate().toSeconds() * KEPT));
            }
        }
    }

    private OpenSslSessionTicketKey[] next() {
        byte[] b = new byte[KEY_BYTES];
        random.nextBytes(b);
        generated.addFirst(key(b, 0));
        while (generated.size() > KEPT) {
            generated.removeLast();
        }
        return generated.toArray(new OpenSslSessionTicketKey[0]);
    }

    private OpenSslSessionTicketKey[] fromFile() {
        try {
            byte[] b = Files.readAllBytes(config.keyFile());
            OpenSslSessionTicketKey[] fromFile = new OpenSslSessionTicketKey[b.length / KEY_BYTES];
            for (int i = 0; i < fromFile.length; i++) {
                fromFile[i] = key(b, i * KEY_BYTES);
            }
            log.info("listener {}: {} session ticket key(s) from {}", listener, fromFile.length, config.keyFile());
            return fromFile;
        } catch (IOException e) {
            log.warn("listener {}: cannot read session ticket keys from {} ({}); keeping the current ones",
                    listener, config.keyFile(), e.getMessage());
            return keys != null ? keys : next();
        }
    }

    /** Name, HMAC secret, AES key: 16 bytes each. */
    private static OpenSslSessionTicketKey key(byte[] b, int at) {
        return new OpenSslSessionTicketKey(Arrays.copyOfRange(b, at, at + 16), Arrays.copyOfRange(b, at + 16, at + 32),
                Arrays.copyOfRange(b, at + 32, at + 48));
    }
}
