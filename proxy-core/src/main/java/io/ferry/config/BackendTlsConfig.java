package io.ferry.config;

import java.nio.file.Path;

/**
 * TLS from Ferry to a backend's servers.
 *
 * @param enabled    speak TLS to the servers (always for protocol = h2)
 * @param verify     check the certificate chain and that it names the server (server-name, else the host
 *                   of the server's address); false accepts any certificate
 * @param ca         PEM file of the CAs trusted for the servers, or null for the JVM's trusted roots
 * @param serverName the name sent as SNI and checked against the certificate, or null for the server's host
 * @param clientCert PEM certificate chain Ferry presents to servers that ask for one, or null
 * @param clientKey  its PEM (PKCS#8) private key; null exactly when clientCert is
 */
public record BackendTlsConfig(boolean enabled, boolean verify, Path ca, String serverName, Path clientCert,
                               Path clientKey) {
    public static final BackendTlsConfig OFF = new BackendTlsConfig(false, true, null, null, null, null);
}
