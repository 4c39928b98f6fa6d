package io.ferry.upstream;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The value of a sticky cookie for a server: the first 12 bytes of HMAC-SHA256(secret, backend/server),
 * base64url. Opaque (it names no address) and unforgeable without the secret, so a client can only
 * return to a server it was sent to; Ferrys sharing the secret agree on it.
 */
final class StickyTokens {
    private StickyTokens() {
    }

    static String token(byte[] secret, String backend, String server) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] digest = mac.doFinal((backend + "/" + server).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
