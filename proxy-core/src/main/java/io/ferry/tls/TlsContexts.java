package io.ferry.tls;

import io.ferry.config.BackendConfig;
import io.ferry.config.ConfigError;
import io.ferry.config.TlsConfig;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a listener's server-side TLS context: BoringSSL through netty-tcnative when it loads (the
 * JDK provider otherwise, with a warning), TLS 1.2/1.3 only, ALPN offering the listener's protocols
 * (h2 first). With h2 on offer, TLS 1.2 is limited to the AEAD ciphers RFC 9113 §9.2.2 allows.
 */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private TlsContexts() {
    }

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    public static SslContext forServer(TlsConfig tls, String listenerName, List<String> alpn) {
        SslContextBuilder builder;
        if (tls.selfSigned()) {
            builder = selfSigned(tls, listenerName);
        } else {
            try {
                builder = SslContextBuilder.forServer(tls.cert().toFile(), tls.key().toFile());
            } catch (IllegalArgumentException e) {
                throw new ConfigError(tls.keyPath() + ".cert", "cannot load certificate or key: " + rootMessage(e));
            }
        }
        SslProvider provider = provider();
        if (provider == SslProvider.JDK) {
            log.warn("netty-tcnative (BoringSSL) unavailable ({}); listener {} uses the JDK TLS provider",
                    String.valueOf(OpenSsl.unavailabilityCause()), listenerName);
        }
        List<String> offered = new ArrayList<>();
        if (alpn.contains(ApplicationProtocolNames.HTTP_2)) {
            offered.add(ApplicationProtocolNames.HTTP_2);
        }
        if (alpn.contains(ApplicationProtocolNames.HTTP_1_1)) {
            offered.add(ApplicationProtocolNames.HTTP_1_1);
        }
        alpn(builder.sslProvider(provider).protocols(tls.protocols()), offered);
        try {
            return builder.build();
        } catch (Exception e) {
            throw new ConfigError(tls.keyPath() + (tls.selfSigned() ? "" : ".key"),
                    "cannot set up TLS: " + rootMessage(e));
        }
    }

    /**
     * The client side of an h2 backend: ALPN offering h2 only; the servers' certificates checked against
     * the JVM's trusted roots unless the backend says tls-verify = false.
     */
    public static SslContext forHttp2Backend(BackendConfig backend) {
        SslContextBuilder builder = alpn(SslContextBuilder.forClient().sslProvider(provider()),
                List.of(ApplicationProtocolNames.HTTP_2));
        if (!backend.tlsVerify()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        }
        try {
            return builder.build();
        } catch (Exception e) {
            throw new ConfigError("ferry.backends." + backend.name() + ".protocol", "cannot set up TLS: " + rootMessage(e));
        }
    }

    /** ALPN offering {@code protocols} in order; with h2 among them, TLS 1.2 ciphers as RFC 9113 §9.2.2 allows. */
    private static SslContextBuilder alpn(SslContextBuilder builder, List<String> protocols) {
        if (protocols.contains(ApplicationProtocolNames.HTTP_2)) {
            builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        }
        return builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols));
    }

    private static SslContextBuilder selfSigned(TlsConfig tls, String listenerName) {
        try {
            SelfSignedCertificate cert = new SelfSignedCertificate(tls.selfSignedHost());
            log.warn("listener {}: no tls.cert configured; using a generated SELF-SIGNED certificate for {} "
                    + "(clients will not trust it; set tls.cert and tls.key for production)",
                    listenerName, tls.selfSignedHost());
            return SslContextBuilder.forServer(cert.certificate(), cert.privateKey());
        } catch (Exception e) {
            throw new ConfigError(tls.keyPath(), "cannot generate a self-signed certificate: " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
