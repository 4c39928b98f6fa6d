package io.ferry.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.util.IPAddress;

/**
 * A listener's generated self-signed certificate: an EC P-256 key and a certificate for one host name or IP address
 * (subject CN and subjectAltName, RFC 5280 §4.2.1.6; clients ignore the CN), valid from a day ago to the end of 9999
 * (RFC 5280 §4.1.2.5: no well-defined expiry, so a long-running process never outlives it).
 *
 * <p>Why not Netty's {@code SelfSignedCertificate}: it goes through BouncyCastle's JCA provider (set up on first
 * use), verifies the signature it just made, and writes the key to temporary files, ~0.2 s of every start of the
 * default config. Here the JDK makes the key and the ECDSA signature and parses the result; BouncyCastle only
 * lays out the certificate's DER (its builder needs no provider).
 */
public final class SelfSignedCertificates {
    /** Signed certificate and the key it certifies. */
    public record Generated(X509Certificate certificate, PrivateKey key) {
    }

    private static final Date NOT_AFTER = Date.from(Instant.parse("9999-12-31T23:59:59Z"));

    private SelfSignedCertificates() {
    }

    public static Generated forHost(String host, Instant now) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        SecureRandom random = new SecureRandom();
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, host).build();
        // RFC 5280 §4.1.2.2: positive, at most 20 octets; 64 random bits make it unique enough.
        BigInteger serial = new BigInteger(64, random).setBit(63);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, serial,
                Date.from(now.minus(Duration.ofDays(1))), NOT_AFTER, name,
                SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded()));
        try {
            // An address is named as one (iPAddress): clients match an https://127.0.0.1/ URL against those only.
            int kind = IPAddress.isValid(host) ? GeneralName.iPAddress : GeneralName.dNSName;
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(kind, host)));
            byte[] der = builder.build(new EcdsaSha256Signer(pair.getPrivate())).getEncoded();
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            return new Generated(certificate, pair.getPrivate());
        } catch (IOException | RuntimeException e) {
            throw new GeneralSecurityException("cannot encode the certificate: " + e.getMessage(), e);
        }
    }

    /** BouncyCastle's signer interface over the JDK's SHA256withECDSA. */
    private static final class EcdsaSha256Signer implements ContentSigner {
        private static final AlgorithmIdentifier ALGORITHM = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        private final PrivateKey key;
        private final ByteArrayOutputStream toBeSigned = new ByteArrayOutputStream();

        EcdsaSha256Signer(PrivateKey key) {
            this.key = key;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return ALGORITHM;
        }

        @Override
        public OutputStream getOutputStream() {
            return toBeSigned;
        }

        @Override
        public byte[] getSignature() {
            try {
                Signature signature = Signature.getInstance("SHA256withECDSA");
                signature.initSign(key);
                signature.update(toBeSigned.toByteArray());
                return signature.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot sign the certificate: " + e.getMessage(), e);
            }
        }
    }
}
