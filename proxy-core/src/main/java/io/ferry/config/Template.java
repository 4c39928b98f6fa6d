package io.ferry.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A value with nginx-style {@code $variables} ({@code ${name}} where letters follow), checked when the
 * config is read: {@code $remote_addr}, {@code $host}, {@code $request_uri}, {@code $uri}, {@code $args},
 * {@code $scheme}, {@code $request_method}, {@code $request_id}, {@code $status} (responses),
 * {@code $http_NAME}, {@code $cookie_NAME}, {@code $arg_NAME}, {@code $map_NAME} (a map's value for the
 * request), and in a rewrite {@code $1}…{@code $9}.
 * {@code $$} is a dollar sign.
 */
public record Template(String text, List<Part> parts) {
    /** A literal (variable null) or a variable by name (literal null). */
    public record Part(String literal, String variable) {
    }

    private static final Set<String> NAMES = Set.of("remote_addr", "host", "request_uri", "uri", "args", "scheme",
            "request_method", "request_id", "status");

    /** Parses {@code text}; the message of the exception names the problem. */
    public static Template parse(String text, boolean groups) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            boolean braced = i + 1 < text.length() && text.charAt(i + 1) == '{';
            int start = braced ? i + 2 : i + 1;
            int j = start;
            if (j < text.length() && Character.isDigit(text.charAt(j))) {
                j++; // $1: one digit, so "$1abc" is group 1 then "abc"
            } else {
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_'
                        || braced && text.charAt(j) == '-')) {
                    j++;
                }
            }
            String name = text.substring(start, j).toLowerCase(Locale.ROOT);
            if (braced) {
                if (j >= text.length() || text.charAt(j) != '}') {
                    throw new IllegalArgumentException("unclosed ${ in \"" + text + '"');
                }
                j++;
            }
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a $ must start a variable (write $$ for a dollar sign) in \"" + text + '"');
            }
            if (!known(name, groups)) {
                throw new IllegalArgumentException("unknown variable $" + name + " (known: "
                        + String.join(", ", NAMES.stream().sorted().map(n -> '$' + n).toList())
                        + ", $http_NAME, $cookie_NAME, $arg_NAME, $map_NAME" + (groups ? ", $1..$9" : "") + ")");
            }
            if (literal.length() > 0) {
                parts.add(new Part(literal.toString(), null));
                literal.setLength(0);
            }
            parts.add(new Part(null, name));
            i = j;
        }
        if (literal.length() > 0) {
            parts.add(new Part(literal.toString(), null));
        }
        return new Template(text, List.copyOf(parts));
    }

    private static boolean known(String name, boolean groups) {
        if (NAMES.contains(name)) {
            return true;
        }
        if (groups && name.length() == 1 && name.charAt(0) >= '0' && name.charAt(0) <= '9') {
            return true;
        }
        for (String prefix : List.of("http_", "cookie_", "arg_", "map_")) {
            if (name.startsWith(prefix) && name.length() > prefix.length()) {
                return true;
            }
        }
        return false;
    }

    /** True when the value has no variables. */
    public boolean constant() {
        return parts.stream().allMatch(p -> p.variable() == null);
    }
}
