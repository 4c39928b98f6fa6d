package io.ferry.tls;

import io.ferry.config.BackendConfig;
import io.ferry.config.BackendTlsConfig;
import io.ferry.config.ConfigError;
import io.ferry.config.TlsConfig;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SimpleKeyManagerFactory;
import java.security.KeyStore;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import io.netty.util.DomainWildcardMappingBuilder;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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

    /**
     * The listener's certificates as contexts: one per certificate, or per group of certificates that
     * answer the same names (RSA and ECDSA side by side: {@link SignatureAwareKeyManager} picks per client),
     * chosen by SNI from their names (given, or read from the certificates); the first is the default.
     */
    public static ServerTls forServer(TlsConfig tls, String listenerName, List<String> alpn) {
        if (provider() == SslProvider.JDK) {
            log.warn("netty-tcnative (BoringSSL) unavailable ({}); listener {} uses the JDK TLS provider",
                    String.valueOf(OpenSsl.unavailabilityCause()), listenerName);
        }
        if (tls.selfSigned()) {
            SslContext ctx = build(selfSigned(tls, listenerName), tls, alpn, tls.keyPath());
            return new ServerTls(List.of(ctx), null);
        }
        Map<Set<String>, List<TlsConfig.Certificate>> groups = new LinkedHashMap<>();
        for (TlsConfig.Certificate c : tls.certificates()) {
            Set<String> names = new LinkedHashSet<>();
            if (c.names().isEmpty()) {
                names.addAll(CertificateFiles.names(CertificateFiles.chain(c.cert(), c.keyPath() + ".cert").get(0)));
            } else {
                c.names().forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
            }
            groups.computeIfAbsent(names, n -> new ArrayList<>()).add(c);
        }
        List<SslContext> contexts = new ArrayList<>();
        DomainWildcardMappingBuilder<SslContext> bySni = null;
        Set<String> mapped = new HashSet<>();
        for (Map.Entry<Set<String>, List<TlsConfig.Certificate>> group : groups.entrySet()) {
            SslContext ctx = build(serverBuilder(group.getValue()), tls, alpn, group.getValue().get(0).keyPath());
            if (bySni == null) {
                bySni = new DomainWildcardMappingBuilder<>(ctx); // the first certificate is the default
            }
            for (String name : group.getKey()) {
                if (mapped.add(name)) {
                    bySni.add(name, ctx);
                }
            }
            contexts.add(ctx);
        }
        return new ServerTls(contexts, contexts.size() == 1 ? null : bySni.build());
    }

    private static SslContextBuilder serverBuilder(List<TlsConfig.Certificate> group) {
        TlsConfig.Certificate first = group.get(0);
        try {
            if (group.size() == 1) {
                // Read with the JDK's parsers when the key is PKCS#8: Netty's file reader goes through
                // BouncyCastle, whose provider set-up alone took ~0.1 s of a start (BENCHMARKS.md).
                PrivateKey key = CertificateFiles.pkcs8OrNull(first.key(), first.keyPath() + ".key");
                if (key == null) { // BEGIN EC / RSA PRIVATE KEY and other PEM forms: Netty's reader takes them
                    return SslContextBuilder.forServer(first.cert().toFile(), first.key().toFile());
                }
                List<X509Certificate> chain = CertificateFiles.chain(first.cert(), first.keyPath() + ".cert");
                return keyManagers(List.of(chain), List.of(key));
            }
            List<List<X509Certificate>> chains = new ArrayList<>();
            List<PrivateKey> keys = new ArrayList<>();
            for (TlsConfig.Certificate c : group) {
                chains.add(CertificateFiles.chain(c.cert(), c.keyPath() + ".cert"));
                keys.add(CertificateFiles.privateKey(c.key(), c.keyPath() + ".key"));
            }
            return keyManagers(chains, keys);
        } catch (IllegalArgumentException e) {
            throw new ConfigError(first.keyPath() + ".cert", "cannot load certificate or key: " + rootMessage(e));
        }
    }

    /**
     * A server builder for certificates and their keys through {@link SignatureAwareKeyManager}, wrapped in Netty's
     * caching factory: BoringSSL gets each certificate's key material once, not at every handshake, and a start
     * skips the JDK key store and SunX509 key manager Netty otherwise builds from a chain and key (~90 ms,
     * BENCHMARKS.md "A TLS listener's start"). Keys other than RSA and EC keep Netty's own path.
     */
    private static SslContextBuilder keyManagers(List<List<X509Certificate>> chains, List<PrivateKey> keys) {
        if (keys.size() == 1 && !List.of("RSA", "EC").contains(keys.get(0).getAlgorithm())) {
            return SslContextBuilder.forServer(keys.get(0), chains.get(0).toArray(X509Certificate[]::new));
        }
        KeyManager manager = new SignatureAwareKeyManager(chains, keys);
        KeyManagerFactory factory = new SimpleKeyManagerFactory() {
            @Override
            protected void engineInit(KeyStore keyStore, char[] password) {
                // the key material is given, not read from a store
            }

            @Override
            protected void engineInit(ManagerFactoryParameters parameters) {
                // as above
            }

            @Override
            protected KeyManager[] engineGetKeyManagers() {
                return new KeyManager[] {manager};
            }
        };
        return SslContextBuilder.forServer(provider() == SslProvider.OPENSSL
                ? new OpenSslCachingX509KeyManagerFactory(factory) : factory);
    }

    /** Versions, ciphers, ALPN and client certificates, the same for each of a listener's contexts. */
    private static SslContext build(SslContextBuilder builder, TlsConfig tls, List<String> alpn, String key) {
        List<String> offered = new ArrayList<>();
        if (alpn.contains(ApplicationProtocolNames.HTTP_2)) {
            offered.add(ApplicationProtocolNames.HTTP_2);
        }
        if (alpn.contains(ApplicationProtocolNames.HTTP_1_1)) {
            offered.add(ApplicationProtocolNames.HTTP_1_1);
        }
        alpn(builder.sslProvider(provider()).protocols(tls.protocols()), offered);
        if (!tls.ciphers().isEmpty()) {
            builder.ciphers(tls.ciphers()); // as given: unsupported names fail the build, named below
        }
        if (tls.verifyClient() != TlsConfig.ClientVerify.NONE) {
            try {
                builder.trustManager(tls.clientCa().toFile()).clientAuth(
                        tls.verifyClient() == TlsConfig.ClientVerify.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            } catch (IllegalArgumentException e) {
                throw new ConfigError(tls.keyPath() + ".client-ca", "cannot load the CA certificates: " + rootMessage(e));
            }
        } else {
            // No client certificates asked for, so none to verify: without a trust manager of its own the
            // context would load the JVM's trusted roots and hand them to BoringSSL (~0.1 s of a start).
            builder.trustManager(TrustingNone.FACTORY);
        }
        try {
            return builder.build();
        } catch (Exception e) {
            String message = rootMessage(e);
            throw new ConfigError(message.toLowerCase(Locale.ROOT).contains("cipher") ? tls.keyPath() + ".ciphers"
                    : key + (tls.selfSigned() ? "" : ".key"), "cannot set up TLS: " + message);
        }
    }

    /**
     * The client side of a backend with TLS, or null without: for h2, ALPN offering h2 only. Certificates
     * are checked against tls.ca (else the JVM's trusted roots) and must name the server (hostname
     * verification), unless tls.verify = false; a client certificate is offered when configured.
     */
    public static ClientTls forBackend(BackendConfig backend) {
        BackendTlsConfig tls = backend.tls();
        if (!tls.enabled()) {
            return null;
        }
        String key = "ferry.backends." + backend.name() + ".tls";
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(provider());
        if (backend.protocol() == BackendConfig.Protocol.H2) {
            alpn(builder, List.of(ApplicationProtocolNames.HTTP_2));
        }
        try {
            if (!tls.verify()) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                if (tls.ca() != null) {
                    builder.trustManager(tls.ca().toFile());
                }
                builder.endpointIdentificationAlgorithm("HTTPS");
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigError(key + ".ca", "cannot load the CA certificates: " + rootMessage(e));
        }
        if (tls.clientCert() != null) {
            try {
                builder.keyManager(tls.clientCert().toFile(), tls.clientKey().toFile());
            } catch (IllegalArgumentException e) {
                throw new ConfigError(key + ".client-cert", "cannot load the client certificate or key: " + rootMessage(e));
            }
        }
        try {
            return new ClientTls(builder.build(), tls.serverName());
        } catch (Exception e) {
            throw new ConfigError(key, "cannot set up TLS: " + rootMessage(e));
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
            // EC P-256: an RSA-2048 key took ~0.4 s of the start, and every TLS client that connects to a
            // self-signed listener (curl -k, a browser told to go on) accepts ECDSA.
            SelfSignedCertificates.Generated cert = SelfSignedCertificates.forHost(tls.selfSignedHost(), Instant.now());
            log.warn("listener {}: no tls.cert configured; using a generated SELF-SIGNED certificate for {} "
                    + "(clients will not trust it; set tls.cert and tls.key for production)",
                    listenerName, tls.selfSignedHost());
            return keyManagers(List.of(List.of(cert.certificate())), List.of(cert.key()));
        } catch (Exception e) {
            throw new ConfigError(tls.keyPath(), "cannot generate a self-signed certificate: " + rootMessage(e));
        }
    }

    /** The innermost cause's message: what went wrong, without the layers of wrapping. */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
