package io.ferry.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * TLS settings of a listener.
 *
 * @param certificates   the certificates offered, chosen by the client's SNI; the first is the default
 *                       (clients without SNI, or naming none of them). Empty: a generated self-signed one
 * @param protocols      enabled protocol versions, a subset of TLSv1.2 and TLSv1.3
 * @param ciphers        TLS 1.2 cipher suites, in order of preference; empty for the built-in list
 * @param selfSignedHost the host name a generated certificate is issued for
 * @param hsts           the Strict-Transport-Security value added to responses on this listener, or null
 * @param verifyClient   whether clients are asked for a certificate, and whether one is required
 * @param clientCa       PEM file of the CAs client certificates must chain to; null when not verifying
 * @param tickets        session ticket keys: rotation period, or a file a fleet shares
 * @param keyPath        the config key of this section, for error messages
 */
public record TlsConfig(List<Certificate> certificates, List<String> protocols, List<String> ciphers,
                        String selfSignedHost, String hsts, ClientVerify verifyClient, Path clientCa,
                        Tickets tickets, String keyPath) {

    /**
     * One certificate and its key.
     *
     * @param names   the SNI names it answers (exact or *.wildcard); empty: the names in the certificate
     *                (its DNS subject alternative names, else its common name)
     * @param keyPath the config key of this entry, for error messages
     */
    public record Certificate(Path cert, Path key, List<String> names, String keyPath) {
    }

    /** Client certificates: not asked for, asked for but optional, or required. */
    public enum ClientVerify { NONE, OPTIONAL, REQUIRED }

    /**
     * Session ticket keys: a new random key every {@code rotate} (the previous two still decrypt), or,
     * with {@code keyFile}, the keys in that file (48 bytes each, the first encrypts), re-read on reload.
     */
    public record Tickets(Duration rotate, Path keyFile) {
    }

    public boolean selfSigned() {
        return certificates.isEmpty();
    }
}
