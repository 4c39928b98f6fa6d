package io.ferry.exchange;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/** What a verified client certificate tells the backends: its subject, as Apache reports it. */
final class ClientCertificates {
    /** The request field naming the subject of the client's verified certificate. */
    static final String SUBJECT_FIELD = "X-Client-Cert-Subject";

    private ClientCertificates() {
    }

    /**
     * The subject of the certificate the client presented (the handshake has verified it against
     * client-ca), in RFC 2253 form as Apache's SSL_CLIENT_S_DN; null when it sent none.
     */
    static String subject(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509
                    ? x509.getSubjectX500Principal().getName(X500Principal.RFC2253) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
