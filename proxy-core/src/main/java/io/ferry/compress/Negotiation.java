package io.ferry.compress;

import io.ferry.config.CompressionConfig.Algorithm;
import java.util.List;

/**
 * The encoding for a client from its Accept-Encoding (RFC 9110 §12.5.3): the offered encoding with the
 * highest q-value above 0, ties going to the server's order; {@code *} stands for encodings the field does
 * not name. Null when the client should get the body as it is.
 */
public final class Negotiation {
    private Negotiation() {
    }

    public static Algorithm choose(CharSequence acceptEncoding, List<Algorithm> offered) {
        if (acceptEncoding == null || acceptEncoding.length() == 0) {
            return null;
        }
        String field = acceptEncoding.toString();
        Algorithm best = null;
        double bestQ = 0;
        for (Algorithm a : offered) {
            if (!Encodings.available(a)) {
                continue;
            }
            double q = quality(field, a.token);
            if (q > bestQ) { // strictly greater: earlier in the server's order wins a tie
                best = a;
                bestQ = q;
            }
        }
        return best;
    }

    /** True when the field takes {@code token} (q above 0, by name or through {@code *}). */
    public static boolean accepts(CharSequence acceptEncoding, String token) {
        return acceptEncoding != null && quality(acceptEncoding.toString(), token) > 0;
    }

    /** The q-value the field gives {@code token} (or {@code *}), 0 when neither is named. */
    static double quality(String field, String token) {
        double star = -1;
        for (String part : field.split(",")) {
            String p = part.trim();
            int semi = p.indexOf(';');
            String name = (semi < 0 ? p : p.substring(0, semi)).trim();
            double q = semi < 0 ? 1 : q(p.substring(semi + 1));
            if (name.equalsIgnoreCase(token)) {
                return q;
            }
            if (name.equals("*")) {
                star = q;
            }
        }
        return Math.max(0, star);
    }

    private static double q(String params) {
        for (String param : params.split(";")) {
            String p = param.trim();
            if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                try {
                    double v = Double.parseDouble(p.substring(2).trim());
                    return v < 0 || v > 1 ? 0 : v;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
