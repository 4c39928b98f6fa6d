package io.ferry.tls;

import io.ferry.config.ConfigError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** PEM certificate chains and PKCS#8 keys as Java objects: the names a certificate answers, key stores. */
final class CertificateFiles {
    private CertificateFiles() {
    }

    static List<X509Certificate> chain(Path pem, String key) {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> chain = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                chain.add((X509Certificate) c);
            }
            if (chain.isEmpty()) {
                throw new ConfigError(key, "no certificate in " + pem);
            }
            return chain;
        } catch (IOException | CertificateException e) {
            throw new ConfigError(key, "cannot read the certificate " + pem + ": " + e.getMessage());
        }
    }

    /** The DNS names of the certificate's subject alternative names; without any, its common name. */
    static Set<String> names(X509Certificate cert) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)).toLowerCase(java.util.Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SAN: fall back to the common name
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(String.valueOf(rdn.getValue()).toLowerCase(java.util.Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                // no names at all: only the default certificate can use it
            }
        }
        return names;
    }

    static PrivateKey privateKey(Path pem, String key) {
        String text = read(pem, key);
        if (!text.contains(PKCS8_BEGIN)) {
            throw new ConfigError(key, pem + " is not a PEM PKCS#8 key (BEGIN PRIVATE KEY); convert it with "
                    + "openssl pkcs8 -topk8 -nocrypt");
        }
        PrivateKey parsed = pkcs8(text);
        if (parsed == null) {
            throw new ConfigError(key, "unsupported key type in " + pem + " (RSA, EC or Ed25519)");
        }
        return parsed;
    }

    /**
     * The key when the file is an unencrypted PEM PKCS#8 key of a type the JDK reads (RSA, EC, Ed25519), else
     * null: the caller hands other forms (BEGIN EC PRIVATE KEY, BEGIN RSA PRIVATE KEY) to Netty's reader.
     */
    static PrivateKey pkcs8OrNull(Path pem, String key) {
        return pkcs8(read(pem, key));
    }

    private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";

    private static String read(Path pem, String key) {
        try {
            return Files.readString(pem, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new ConfigError(key, "cannot read the key " + pem + ": " + e.getMessage());
        }
    }

    private static PrivateKey pkcs8(String text) {
        int begin = text.indexOf(PKCS8_BEGIN);
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            return null;
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + PKCS8_BEGIN.length(), end));
        } catch (IllegalArgumentException notBase64) {
            return null;
        }
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException tryNext) {
                // not this algorithm
            }
        }
        return null;
    }
}
