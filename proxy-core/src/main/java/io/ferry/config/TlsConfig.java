package io.ferry.config;

import java.nio.file.Path;
import java.util.List;

/**
 * TLS settings of a listener.
 *
 * @param cert           PEM certificate chain, or null to generate a self-signed certificate at startup
 * @param key            PEM private key (PKCS#8), null exactly when cert is null
 * @param protocols      enabled protocol versions, a subset of TLSv1.2 and TLSv1.3
 * @param selfSignedHost the host name a generated certificate is issued for
 * @param keyPath        the config key of this section, for error messages
 */
public record TlsConfig(Path cert, Path key, List<String> protocols, String selfSignedHost, String keyPath) {

    public boolean selfSigned() {
        return cert == null;
    }
}
