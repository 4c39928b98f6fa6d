package io.ferry.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.TrustManagerFactory;

/**
 * A trust manager factory over an empty key store, for server contexts that ask for no client certificate:
 * it trusts no certificate, and it is never asked (the handshake requests none).
 */
final class TrustingNone {
    static final TrustManagerFactory FACTORY = create();

    private TrustingNone() {
    }

    private static TrustManagerFactory create() {
        try {
            KeyStore empty = KeyStore.getInstance(KeyStore.getDefaultType());
            empty.load(null, null);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(empty);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the JVM cannot make an empty trust store", e);
        }
    }
}
