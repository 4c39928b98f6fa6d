package io.ferry.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Several certificates for the same names — an ECDSA and an RSA one — of which each handshake gets one:
 * ECDSA when the client lists an ECDSA signature algorithm, else RSA. BoringSSL holds one certificate per
 * connection, and Netty asks once per key type, so the key type not chosen gets no alias.
 */
final class SignatureAwareKeyManager extends X509ExtendedKeyManager {
    private final List<X509Certificate[]> chains = new ArrayList<>();
    private final List<PrivateKey> keys = new ArrayList<>();

    SignatureAwareKeyManager(List<List<X509Certificate>> chains, List<PrivateKey> keys) {
        for (int i = 0; i < chains.size(); i++) {
            this.chains.add(chains.get(i).toArray(new X509Certificate[0]));
            this.keys.add(keys.get(i));
        }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        String wanted = wantedAlgorithm(engine == null ? null : engine.getHandshakeSession());
        if (!algorithmOf(keyType).equals(wanted)) {
            return null;
        }
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).getAlgorithm().equals(wanted)) {
                return alias(i);
            }
        }
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return chooseEngineServerAlias(keyType, issuers, null);
    }

    /** EC when the client can verify ECDSA signatures and there is an EC key; else RSA if there is one. */
    private String wantedAlgorithm(SSLSession handshake) {
        boolean haveEc = keys.stream().anyMatch(k -> k.getAlgorithm().equals("EC"));
        boolean haveRsa = keys.stream().anyMatch(k -> k.getAlgorithm().equals("RSA"));
        if (haveEc && (!haveRsa || clientVerifiesEcdsa(handshake))) {
            return "EC";
        }
        return haveRsa ? "RSA" : keys.get(0).getAlgorithm();
    }

    private static boolean clientVerifiesEcdsa(SSLSession handshake) {
        if (!(handshake instanceof ExtendedSSLSession extended)) {
            return true; // no list to read: prefer the smaller, faster key
        }
        for (String algorithm : extended.getPeerSupportedSignatureAlgorithms()) {
            if (algorithm.toUpperCase(Locale.ROOT).contains("ECDSA")) {
                return true;
            }
        }
        return false;
    }

    /** Netty's key types: RSA, DH_RSA, EC, EC_EC, EC_RSA (the last two name the issuer's key too). */
    private static String algorithmOf(String keyType) {
        return keyType.startsWith("EC") ? "EC" : keyType.endsWith("RSA") ? "RSA" : keyType;
    }

    private static String alias(int i) {
        return "cert" + i;
    }

    private int index(String alias) {
        if (alias == null || !alias.startsWith("cert")) {
            return -1;
        }
        try {
            int i = Integer.parseInt(alias.substring(4));
            return i < keys.size() ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        int i = index(alias);
        return i < 0 ? null : chains.get(i).clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        int i = index(alias);
        return i < 0 ? null : keys.get(i);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i).getAlgorithm().equals(algorithmOf(keyType))) {
                aliases.add(alias(i));
            }
        }
        return aliases.isEmpty() ? null : aliases.toArray(new String[0]);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server's key manager
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
