package io.ferry.cache;

import java.util.List;

/**
 * A targeted cache-control field (RFC 9213: CDN-Cache-Control, Ferry-Cache-Control) is an RFC 8941
 * Structured Field Dictionary. One that does not parse as such — {@code max-age = 100} with spaces, a
 * string or token where max-age's integer belongs, anything of an unknown shape — is ignored as a whole
 * (RFC 9213 §2.1), and Cache-Control applies instead.
 */
public final class TargetedCacheControl {
    private TargetedCacheControl() {
    }

    /** The directives, or null when the field is not a valid dictionary of cache directives. */
    public static CacheControl parse(List<String> lines) {
        String value = String.join(", ", lines);
        Parser p = new Parser(value);
        if (!p.dictionary()) {
            return null;
        }
        return CacheControl.parse(p.directives.toString()); // the members without their parameters
    }

    /** RFC 8941 §4.2.2 (parsing a dictionary), validating only; integer-valued cache directives checked. */
    private static final class Parser {
        private final String s;
        private int i;
        /** The members as cache directives: key or key=value, parameters left out. */
        final StringBuilder directives = new StringBuilder();

        Parser(String s) {
            this.s = s;
        }

        boolean dictionary() {
            skipSp();
            if (i == s.length()) {
                return false; // an empty field: nothing targeted
            }
            while (i < s.length()) {
                int keyStart = i;
                if (!key()) {
                    return false;
                }
                String key = s.substring(keyStart, i);
                directives.append(directives.length() == 0 ? "" : ", ").append(key);
                if (peek() == '=') {
                    i++;
                    int valueStart = i;
                    if (peek() == '(') {
                        if (!innerList()) {
                            return false;
                        }
                    } else if (!bareItem()) {
                        return false;
                    }
                    directives.append('=').append(s, valueStart, i);
                    if (INTEGER_DIRECTIVES.contains(key) && !isInteger(s.substring(valueStart, i))) {
                        return false; // a string, token or decimal where delta-seconds belong
                    }
                } else if (INTEGER_DIRECTIVES.contains(key) && !key.equals("stale-while-revalidate")
                        && !key.equals("stale-if-error")) {
                    return false; // max-age, s-maxage need their integer
                }
                if (!parameters()) {
                    return false;
                }
                skipOws();
                if (i == s.length()) {
                    return true;
                }
                if (s.charAt(i) != ',') {
                    return false;
                }
                i++;
                skipOws();
                if (i == s.length()) {
                    return false; // a trailing comma
                }
            }
            return true;
        }

        private static final List<String> INTEGER_DIRECTIVES = List.of("max-age", "s-maxage",
                "stale-while-revalidate", "stale-if-error");

        private static boolean isInteger(String v) {
            if (v.isEmpty() || v.length() > 15) {
                return false;
            }
            for (int k = 0; k < v.length(); k++) {
                if (v.charAt(k) < '0' || v.charAt(k) > '9') {
                    return false;
                }
            }
            return true;
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : 0;
        }

        private boolean key() {
            char c = peek();
            if (!(c >= 'a' && c <= 'z' || c == '*')) {
                return false;
            }
            i++;
            while (i < s.length()) {
                c = s.charAt(i);
                if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
                    i++;
                } else {
                    break;
                }
            }
            return true;
        }

        private boolean parameters() {
            while (peek() == ';') {
                i++;
                skipSp();
                if (!key()) {
                    return false;
                }
                if (peek() == '=') {
                    i++;
                    if (!bareItem()) {
                        return false;
                    }
                }
            }
            return true;
        }

        private boolean innerList() {
            i++; // (
            while (i < s.length()) {
                skipSp();
                if (peek() == ')') {
                    i++;
                    return parameters();
                }
                if (!bareItem() || !parameters()) {
                    return false;
                }
                char c = peek();
                if (c != ' ' && c != ')') {
                    return false;
                }
            }
            return false;
        }

        private boolean bareItem() {
            char c = peek();
            if (c == '-' || c >= '0' && c <= '9') {
                return number();
            }
            if (c == '"') {
                return string();
            }
            if (c == '*' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
                i++;
                while (i < s.length() && (isTchar(s.charAt(i)) || s.charAt(i) == ':' || s.charAt(i) == '/')) {
                    i++;
                }
                return true;
            }
            if (c == ':') {
                int close = s.indexOf(':', i + 1);
                if (close < 0) {
                    return false;
                }
                for (int k = i + 1; k < close; k++) {
                    char b = s.charAt(k);
                    if (!(Character.isLetterOrDigit(b) && b < 128 || b == '+' || b == '/' || b == '=')) {
                        return false;
                    }
                }
                i = close + 1;
                return true;
            }
            if (c == '?') {
                i++;
                if (peek() == '0' || peek() == '1') {
                    i++;
                    return true;
                }
                return false;
            }
            return false;
        }

        private boolean number() {
            if (peek() == '-') {
                i++;
            }
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 15) {
                return false;
            }
            if (peek() == '.') {
                i++;
                int frac = i;
                while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                    i++;
                }
                return i - frac >= 1 && i - frac <= 3 && digits <= 12;
            }
            return true;
        }

        private boolean string() {
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '\\') {
                    if (i >= s.length() || s.charAt(i) != '"' && s.charAt(i) != '\\') {
                        return false;
                    }
                    i++;
                } else if (c == '"') {
                    return true;
                } else if (c < 0x20 || c > 0x7e) {
                    return false;
                }
            }
            return false;
        }

        private static boolean isTchar(char c) {
            return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        }

        private void skipSp() {
            while (i < s.length() && s.charAt(i) == ' ') {
                i++;
            }
        }

        private void skipOws() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
        }
    }
}
